"""The editor's incremental parse equals libcst's parse of the whole text, node for node and
position for position, and re-parses only a region for an ordinary edit."""
from __future__ import annotations

import os
import random
from pathlib import Path

import libcst as cst
import pytest
from editor_support import training_functions

from hyperlint.editor import DocumentLinter
from hyperlint.incremental import IncrementalParser
from hyperlint.positions import FastPositions

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO.parent / "shared" / "eval" / "dev" / "files"

SCRIPT = '''\
"""A training script."""
import torch
from torch import nn

LR = 0.1


def build(width):
    layers = [
        nn.Linear(width, width),
        nn.ReLU(),
    ]
    return nn.Sequential(*layers)


class Trainer:
    def __init__(self, model):
        self.model = model
        self.opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step(self, batch):
        loss = self.model(batch).sum()
        loss.backward()
        self.opt.step()
        # an indented comment that ends the block


@torch.no_grad()
def evaluate(model, loader):
    return sum(model(x).sum() for x in loader)


def main():
    model = build(16)
    trainer = Trainer(model)
    for epoch in range(10):
        trainer.step(torch.ones(4, 16))
# the end
'''


def assert_same_as_whole_parse(parser: IncrementalParser, text: str) -> None:
    parsed = parser.parse(text)
    whole = cst.parse_module(text)
    assert parsed.module.code == text
    assert parsed.module.deep_equals(whole), f"the tree differs from the whole parse ({parser.last_kind})"
    expected = FastPositions(whole)
    positions = parsed.positions()
    pending = [(whole, parsed.module)]
    while pending:
        mine, theirs = pending.pop()
        if mine in expected:
            assert positions[theirs] == expected[mine], type(mine).__name__
        pending.extend(zip(mine.children, theirs.children))


def replace_line(text: str, row: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[row] = new
    return "".join(lines)


def test_a_one_line_edit_reparses_a_region_and_keeps_the_other_statements():
    parser = IncrementalParser()
    before = parser.parse(SCRIPT).module
    assert parser.last_kind == "whole"
    edited = SCRIPT.replace("lr=0.01", "lr=0.02")
    assert_same_as_whole_parse(parser, edited)
    assert parser.last_kind == "region"
    after = parser.parse(edited).module
    assert parser.last_kind == "same"
    kept = [a for a, b in zip(before.body, after.body) if a is b]
    assert len(kept) == len(before.body) - 1  # only the class holding the edit is new


@pytest.mark.parametrize(
    "name, edit",
    [
        ("a line added at the top", lambda t: "# header comment\n" + t),
        ("a comment line at the end", lambda t: t + "# more\n"),
        ("the final newline removed", lambda t: t.rstrip("\n")),
        ("a statement indented into the block above", lambda t: t.replace("\n\nclass Trainer", "\n    extra = 1\n\nclass Trainer")),
        ("an indented comment after a block", lambda t: t.replace("\n\n@torch.no_grad()", "\n    # belongs to the block\n@torch.no_grad()")),
        ("a comment between statements", lambda t: t.replace("\n\ndef main", "\n# about main\ndef main")),
        ("a decorator typed above a function", lambda t: t.replace("\ndef main", "\n@extra\ndef main")),
        ("a decorated function's name changed", lambda t: t.replace("def evaluate", "def evaluate_all")),
        ("the first indented block deleted", lambda t: t.replace(t[t.index("def build"):t.index("class Trainer")], "")),
        ("the indentation unit changed in the first block", lambda t: t.replace("    layers = [", "  layers = [").replace("        nn.Linear(width, width),\n        nn.ReLU(),\n    ]\n    return", "      nn.Linear(width, width),\n      nn.ReLU(),\n  ]\n  return")),
        ("an else added to a loop", lambda t: t.replace("trainer.step(torch.ones(4, 16))\n", "trainer.step(torch.ones(4, 16))\n    else:\n        pass\n")),
        ("a block comment dedented", lambda t: t.replace("        # an indented comment that ends the block", "# now dedented")),
        ("windows newlines in one place", lambda t: t.replace("LR = 0.1\n", "LR = 0.1\r\n")),
        ("an open string that closes further down", lambda t: t.replace("LR = 0.1\n", 'LR = """\n').replace("def main", '"""\ndef main')),
    ],
)
def test_edits_that_need_care_still_give_the_whole_parse(name, edit):
    parser = IncrementalParser()
    parser.parse(SCRIPT)
    assert_same_as_whole_parse(parser, edit(SCRIPT))


def test_a_syntax_error_raises_and_the_next_good_text_is_parsed_from_the_last_good_one():
    parser = IncrementalParser()
    parser.parse(SCRIPT)
    with pytest.raises(cst.ParserSyntaxError):
        parser.parse(SCRIPT.replace("lr=0.01)", "lr=0.01"))
    assert_same_as_whole_parse(parser, SCRIPT.replace("lr=0.01", "lr=0.03"))
    assert parser.last_kind == "region"


def test_a_text_with_a_form_feed_is_always_parsed_whole():
    parser = IncrementalParser()
    text = SCRIPT.replace("\n\nclass Trainer", "\n\x0c\nclass Trainer")
    parser.parse(text)
    assert_same_as_whole_parse(parser, text.replace("lr=0.01", "lr=0.02"))
    assert parser.last_kind == "whole"


def test_switched_off_it_parses_whole(monkeypatch):
    monkeypatch.setenv("HYPERLINT_NO_SHORTCUTS", "incremental-parse")
    parser = IncrementalParser()
    parser.parse(SCRIPT)
    assert_same_as_whole_parse(parser, SCRIPT.replace("lr=0.01", "lr=0.02"))
    assert parser.last_kind == "whole"


def _corpus() -> list[tuple[str, str]]:
    files = sorted((REPO / "examples").glob("*.py"))
    if DEV_SET.is_dir():
        files += sorted(DEV_SET.glob("*.py"))
    elif os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the dev set is missing: expected {DEV_SET}")
    return [(f.name, f.read_text()) for f in files] + [("script", SCRIPT)]


SNIPPETS = ["x = 1\n", "    y = 2\n", "# c\n", "    # indented\n", "\n", "def g():\n    pass\n", "(", ")",
            "'''", "@dec\n", "else:\n", "\t", "  ", "if a:\n  b\n", "lr=0.5"]


def random_edit(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True) or [""]
    row = rng.randrange(len(lines))
    choice = rng.random()
    if choice < 0.35:
        line = lines[row]
        column = rng.randrange(len(line) + 1)
        lines[row] = line[:column] + rng.choice(["1", "x", " ", "", "0.5", "#"]) + line[column + 1 :]
    elif choice < 0.7:
        lines.insert(row, rng.choice(SNIPPETS))
    elif choice < 0.9:
        del lines[row]
    else:
        lines[row] = rng.choice(SNIPPETS) + lines[row]
    return "".join(lines)


def test_random_edits_of_real_files_give_the_whole_parse():
    rng = random.Random(20261127)
    regions = 0
    for _, original in _corpus():
        parser = IncrementalParser()
        parser.parse(original)
        text = original
        for _ in range(8):
            new = random_edit(rng, text)
            try:
                cst.parse_module(new)
            except cst.ParserSyntaxError:
                with pytest.raises(cst.ParserSyntaxError):
                    parser.parse(new)
                continue
            assert_same_as_whole_parse(parser, new)
            regions += parser.last_kind == "region"
            text = new
    assert regions > 40  # the shortcut is taken, not always refused


def test_the_editor_reports_the_same_findings_as_a_whole_lint(tmp_path):
    """Every field of every finding, fixes included, after a series of edits of one buffer."""
    path = tmp_path / "train.py"
    editor, fresh_per_lint = DocumentLinter(tmp_path), DocumentLinter(tmp_path)
    text = (REPO / "examples" / "train_cifar.py").read_text() + training_functions(9, "fine_tune")
    rng = random.Random(7)
    compared = regions = 0
    for step in range(30):
        incremental = editor.lint(text, path)
        regions += editor.parser_for(path).last_kind == "region"
        fresh_per_lint.forget_buffer(path)
        whole = fresh_per_lint.lint(text, path)
        assert fresh_per_lint.parser_for(path).last_kind == "whole"
        assert incremental.findings == whole.findings, f"step {step}"
        compared += whole.error is None and bool(whole.findings)
        new = random_edit(rng, text)
        if rng.random() < 0.2:  # a syntax error, then the text it interrupted
            assert editor.lint(new + "(\n", path).error is not None
        try:
            cst.parse_module(new)
            text = new
        except cst.ParserSyntaxError:
            text = text.replace("lr=", "lr =", 1)
    assert compared > 20 and regions > 10


def test_prepare_does_the_first_edits_extra_work_ahead(monkeypatch):
    """After a whole parse, the first edit must cut the text into chunks and place the old nodes;
    ``prepare`` (the server's idle time) does it, so the edit itself renders only its region."""
    parser = IncrementalParser()
    parser.parse(SCRIPT)
    parser.prepare()
    rendered = []
    real = cst.Module.code_for_node
    monkeypatch.setattr(cst.Module, "code_for_node", lambda self, node: rendered.append(node) or real(self, node))
    parsed = parser.parse(SCRIPT.replace("LR = 0.1", "LR = 0.2"))
    assert parser.last_kind == "region"
    assert len(rendered) <= 3  # the region's statement and its neighbours, not the whole text
    monkeypatch.undo()
    whole_tree = parser._last.layout.chunks[0].tree
    assert whole_tree._ranges is not None  # the untouched statements' positions are ready too
    assert_same_as_whole_parse(parser, parsed.text)
