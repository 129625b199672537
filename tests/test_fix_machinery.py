"""The fix machinery every rule uses (linter/fixes.py, linter/runner.py): overlapping fixes
settle over rounds to a fixed point, a fix that breaks the code is never kept, writes are
atomic and keep permissions, and a file that cannot be written does not stop the run."""
import os
import stat
from pathlib import Path

import hyperlint.runner as runner
from hyperlint.finding import Applicability, Finding, Fix, Position, TextEdit
from hyperlint.atomic import write_atomic
from hyperlint.fixes import apply_edits, fix_text
from hyperlint.testing import make_linter


def finding(code: str, *edits: TextEdit, applicability=Applicability.SAFE) -> Finding:
    return Finding(code, "m", "f.py", Position(1, 1), Position(1, 1), Fix("fix", applicability, tuple(edits)), 1)


def rename_lint(old: str, new: str):
    """A fake rule: every occurrence of ``old`` is a finding whose fix replaces it by ``new``."""
    def lint(text: str) -> list[Finding]:
        out, start = [], text.find(old)
        while start != -1:
            out.append(finding("HL900", TextEdit(start, start + len(old), new)))
            start = text.find(old, start + 1)
        return out
    return lint


def test_overlapping_fixes_are_settled_over_rounds():
    # "aaaa" -> each overlapping "aa" is a fix; one round can only take non-overlapping ones
    outcome = fix_text("x = 'aaaa'\n", rename_lint("aa", "b"))
    assert outcome.text == "x = 'bb'\n"
    assert outcome.fixed["HL900"] == 2
    assert outcome.remaining == []


def test_fixes_that_create_new_fixable_code_run_to_a_fixed_point():
    outcome = fix_text("x = 'aaaaaaaa'\n", rename_lint("aa", "a"))
    assert outcome.text == "x = 'a'\n"
    again = fix_text(outcome.text, rename_lint("aa", "a"))
    assert again.text == outcome.text and not again.changed


def test_a_fix_that_breaks_the_code_is_never_kept():
    text = "x = 1\ny = 2\n"

    def lint(current: str) -> list[Finding]:
        out = []
        if "x = 1" in current:  # breaks the syntax
            out.append(finding("HL901", TextEdit(0, 5, "x = (")))
        if "y = 2" in current:  # fine
            start = current.index("y = 2")
            out.append(finding("HL902", TextEdit(start, start + 5, "y = 3")))
        return out

    outcome = fix_text(text, lint)
    assert outcome.text == "x = 1\ny = 3\n"
    assert dict(outcome.fixed) == {"HL902": 1}


def test_code_that_parses_but_does_not_compile_is_not_kept():
    text = "def f():\n    return 1\n"

    def lint(current: str) -> list[Finding]:
        if current.startswith("def f"):  # dedenting `return` leaves it outside a function
            return [finding("HL903", TextEdit(0, len(current), "return 1\n"))]
        return []

    outcome = fix_text(text, lint)
    assert outcome.text == text and not outcome.changed
    assert "does not compile" in outcome.error


def test_unsafe_fixes_need_the_flag():
    text = "x = 'a'\n"

    def lint(current: str) -> list[Finding]:
        start = current.find("a'")
        return [finding("HL904", TextEdit(start, start + 1, "b"), applicability=Applicability.UNSAFE)] \
            if start != -1 else []

    assert fix_text(text, lint).text == text
    assert fix_text(text, lint, unsafe=True).text == "x = 'b'\n"


def test_apply_edits_skips_a_fix_overlapping_an_earlier_one():
    text = "abcdef"
    first = finding("HL1", TextEdit(0, 3, "X"))
    second = finding("HL2", TextEdit(2, 4, "Y"))
    third = finding("HL3", TextEdit(4, 6, "Z"))
    new, accepted = apply_edits(text, [third, second, first])
    assert new == "XdZ"
    assert accepted == [first, third]


def test_write_atomic_keeps_mode_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("old\n")
    os.chmod(path, 0o751)
    write_atomic(path, b"new\n")
    assert path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert [p.name for p in tmp_path.iterdir()] == ["train.py"]


def test_write_atomic_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.py"
    real.write_text("old\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    write_atomic(link, b"new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


def test_a_file_that_cannot_be_written_is_reported_and_the_run_goes_on(tmp_path, monkeypatch):
    code = "import torch.nn as nn\nm = nn.Linear(2, 2)\nm.weight.data.normal_(0, 0.1)\n"
    bad, good = tmp_path / "bad.py", tmp_path / "good.py"
    bad.write_text(code)
    good.write_text(code)
    real_write = runner.write_atomic

    def failing(path, data):
        if Path(path).name == "bad.py":
            raise PermissionError(13, "Permission denied")
        real_write(path, data)

    monkeypatch.setattr(runner, "write_atomic", failing)
    linter = make_linter(["HL2"])
    outcomes = [runner.lint_file(linter, p, fix=True) for p in (bad, good)]
    assert bad.read_text() == code
    assert "nn.init.normal_(m.weight, 0, 0.1)" in good.read_text()
    assert outcomes[0].error and "cannot write the fixed file (Permission denied)" in outcomes[0].error
    assert any(f.code == "HL001" and "not written" in f.message for f in outcomes[0].findings)
    assert not outcomes[1].error


def test_insertions_at_one_point_keep_their_order():
    one = finding("HL905", TextEdit(0, 0, "A"), TextEdit(0, 0, "B"), TextEdit(1, 1, "C"))
    assert apply_edits("xy", [one])[0] == "ABxCy"
