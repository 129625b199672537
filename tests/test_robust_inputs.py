"""Robustness (issue 8): every kind of odd input gives a clear per-file finding, never a crash,
and the run goes on. In-process checks of the engine, then one CLI run over all of them."""
from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest

from hyperlint.finding import Applicability
from hyperlint.fixes import fix_text
from hyperlint.testing import make_linter

TRAIN = (
    "import torch\n"
    "model = torch.nn.Linear(2, 2)\n"
    "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
)
LR_ROW, LR_COL = 3, 52  # where `0.1` is


def lint_bytes(data: bytes, name: str = "train.py", **options):
    linter = make_linter(options=options or None)
    return linter.lint_bytes(data, name, Path(name))


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def only_error(result, code: str = "HL001"):
    assert codes(result) == [code], [(f.code, f.message) for f in result.findings]
    return result.findings[0]


def test_the_reference_snippet_has_one_finding_where_expected():
    result = lint_bytes(TRAIN.encode())
    assert [(f.code, f.start.row, f.start.column) for f in result.findings] == [("HL101", LR_ROW, LR_COL)]


# --- files that are not Python ----------------------------------------------------------------
def test_syntax_error_is_one_finding_with_cpythons_line_and_message():
    finding = only_error(lint_bytes(b"import torch\n\ndef f(:\n    pass\n"))
    assert finding.start.row == 3
    assert finding.message.startswith("SyntaxError")


def test_python2_code_is_a_parse_error_naming_the_problem():
    finding = only_error(lint_bytes(b"import torch\nprint 'training'\nexec 'lr = 0.1'\n"))
    assert finding.start.row == 2
    assert "print" in finding.message


def test_non_utf8_without_a_cookie_names_the_byte_and_where():
    finding = only_error(lint_bytes("import torch\ns = 'caf\xe9'\n".encode("latin-1")))
    assert (finding.start.row, finding.start.column) == (2, 9)
    assert "0xe9" in finding.message and "coding" in finding.message


def test_an_unknown_coding_cookie_is_a_clear_error():
    finding = only_error(lint_bytes(b"# -*- coding: klingon -*-\nx = 1\n"))
    assert "klingon" in finding.message or "encoding" in finding.message


@pytest.mark.parametrize("data", [b"x = 1\n\x00y = 2\n", bytes(range(256)) * 8, b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64])
def test_nul_bytes_and_binary_files_named_py(data):
    finding = only_error(lint_bytes(data, "model.py"))
    assert "NUL" in finding.message or "decode" in finding.message


def test_invalid_utf8_without_nul_is_reported_not_decoded_with_replacement():
    finding = only_error(lint_bytes(b"x = '\xff\xfe\xfa'\n"))
    assert "decode" in finding.message


def test_empty_file_and_whitespace_only_files_are_clean():
    for data in (b"", b"\n", b"\n\n\n", b"   ", b"\r\n", b"\x0c", b"# just a comment"):
        result = lint_bytes(data)
        assert result.findings == [] and result.error is None, data


# --- files that are Python in an unusual shape ------------------------------------------------
def test_newest_syntax_is_parsed_and_checked():
    newest = (
        "import torch\n"
        "type Params[T] = dict[str, T]\n"
        "def make[T: float](x: T) -> T:\n"
        "    return x\n"
        "class Box[T]:\n"
        "    pass\n"
        "name = 'x'\n"
        "label = f\"{'a' + f'{name!r:>{10}}'}\"\n"
        "def build(kind, model):\n"
        "    match kind:\n"
        "        case {'opt': 'sgd', **rest}:\n"
        "            return torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "        case [first, *others] if first:\n"
        "            return None\n"
        "        case Box(x=1) | None:\n"
        "            return None\n"
    )
    result = lint_bytes(newest.encode())
    assert [(f.code, f.start.row) for f in result.findings] == [("HL101", 12)]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_give_the_same_positions_as_lf(newline):
    result = lint_bytes(TRAIN.replace("\n", newline).encode())
    assert [(f.code, f.start.row, f.start.column) for f in result.findings] == [("HL101", LR_ROW, LR_COL)]


def test_mixed_line_endings():
    text = "import torch\r\nmodel = torch.nn.Linear(2, 2)\roptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
    result = lint_bytes(text.encode())
    assert [(f.code, f.start.row, f.start.column) for f in result.findings] == [("HL101", LR_ROW, LR_COL)]


def test_bom_does_not_shift_columns():
    result = lint_bytes(codecs.BOM_UTF8 + TRAIN.encode())
    assert [(f.code, f.start.row, f.start.column) for f in result.findings] == [("HL101", LR_ROW, LR_COL)]
    assert result.source.bom


def test_tabs_and_form_feeds():
    text = (
        "import torch\n"
        "\x0c\n"
        "def train(model):\n"
        "\tif model:\n"
        "\t\toptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "\x0cx = 1\n"
    )
    result = lint_bytes(text.encode())
    assert [(f.code, f.start.row) for f in result.findings] == [("HL101", 5)]


def test_inconsistent_tabs_are_cpythons_taberror():
    finding = only_error(lint_bytes(b"if True:\n        x = 1\n\ty = 2\n"))
    assert "Error" in finding.message


def test_latin1_with_a_cookie_is_decoded_and_columns_count_characters():
    text = "# -*- coding: latin-1 -*-\n" + "caf\xe9 = 'd\xe9j\xe0'\n" + TRAIN
    result = lint_bytes(text.encode("latin-1"))
    assert [(f.code, f.start.row, f.start.column) for f in result.findings] == [("HL101", LR_ROW + 2, LR_COL)]


UNUSED_NOQA = "x = 1  # noqa: HL101\n"  # HL002 with a safe automatic fix


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: t.replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(lambda t: t.replace("\n", "\r").encode(), id="cr"),
        pytest.param(lambda t: codecs.BOM_UTF8 + t.encode(), id="bom"),
        pytest.param(lambda t: ("# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n" + t).encode("latin-1"), id="latin1"),
        pytest.param(lambda t: ("# -*- coding: utf-16 -*-\n" + t).encode("utf-8"), id="utf16-cookie-lie"),
    ],
)
def test_fixes_keep_encoding_bom_and_line_endings(encode):
    data = encode("import os\n" + UNUSED_NOQA + "y = 2\n")
    linter = make_linter()
    result = linter.lint_bytes(data, "train.py", Path("train.py"))
    if result.error is not None:  # a cookie that lies is a clear error, not a crash
        assert codes(result) == ["HL001"]
        return
    source = result.source

    def lint(text):
        from hyperlint.source import SourceText

        return linter.lint_source(SourceText(text, source.encoding, source.bom), "train.py", Path("train.py")).findings

    outcome = fix_text(source.text, lint)
    assert outcome.fixed == {"HL002": 1}
    written = source.__class__(outcome.text, source.encoding, source.bom).to_bytes()
    assert written == data.replace(b"  # noqa: HL101", b"")


# --- size and depth ---------------------------------------------------------------------------
def test_a_50000_line_file_is_checked():
    block = TRAIN + "".join(f"value_{i} = {i}\n" for i in range(47))
    text = block * (50_000 // block.count("\n"))
    assert text.count("\n") >= 49_900
    result = lint_bytes(text.encode(), **{"per-file-timeout": 600})
    assert result.error is None
    assert set(codes(result)) == {"HL101"} and len(result.findings) == text.count("lr=0.1")


@pytest.mark.parametrize("opening,closing", [("(", ")"), ("[", "]"), ("{", "}"), ("f(", ")")])
def test_1000_nested_brackets_give_cpythons_error_not_a_crash(opening, closing):
    text = "import torch\nx = " + opening * 1000 + "1" + closing * 1000 + "\n"
    finding = only_error(lint_bytes(text.encode()))
    assert "too many nested parentheses" in finding.message
    assert finding.start.row == 2


def test_1000_nested_blocks_give_cpythons_indentation_error():
    text = "".join(" " * i + "if x:\n" for i in range(1000)) + " " * 1000 + "pass\n"
    finding = only_error(lint_bytes(text.encode()))
    assert "indentation" in finding.message.lower()


def test_a_tree_deeper_than_pythons_recursion_limit_is_still_checked():
    # a 3,000-term sum is valid Python whose tree is 3,000 levels deep: libcst's positions and
    # code generation recurse through it (retried on a big stack), the finding is reported
    terms = ["1"] * 3000
    rows = [" + ".join(terms[i : i + 30]) for i in range(0, len(terms), 30)]
    text = TRAIN + "total = (\n    " + " +\n    ".join(rows) + "\n)\n"
    assert sys.getrecursionlimit() < 3000
    result = lint_bytes(text.encode(), **{"per-file-timeout": 600})
    assert [(f.code, f.start.row) for f in result.findings] == [("HL101", LR_ROW)]
    assert sys.getrecursionlimit() < 3000  # restored


# --- the CLI over all of it at once -----------------------------------------------------------
BAD_FILES = {
    "syntax_error.py": b"def f(:\n    pass\n",
    "python2.py": b"print 'hello'\n",
    "latin1_no_cookie.py": "s = 'caf\xe9'\n".encode("latin-1"),
    "nul.py": b"x = 1\x00\n",
    "binary.py": bytes(range(256)),
    "nested.py": b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",  # would crash libcst's parser in-process
}
GOOD_FILES = {
    "empty.py": b"",
    "bom.py": codecs.BOM_UTF8 + b"import os\n",
    "crlf.py": b"import os\r\nx = 1\r\n",
    "cr.py": b"import os\rx = 1\r",
    "tabs.py": b"if True:\n\tx = 1\n\x0c\n",
    "latin1_cookie.py": "# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1"),
    "match.py": b"match x:\n    case [1, *rest]:\n        pass\n",
    "pep695.py": b"type Point[T] = tuple[T, T]\n",
}


def test_cli_reports_each_bad_file_once_and_goes_on(tmp_path):
    for name, data in {**BAD_FILES, **GOOD_FILES}.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "zz_train.py").write_text(TRAIN)  # after every bad file in the run's order
    run = subprocess.run(
        [sys.executable, "-m", "hyperlint", "check", "--output-format", "concise", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 1, run.stderr
    lines = [line for line in run.stdout.splitlines() if ": HL" in line]
    by_file = {}
    for line in lines:
        by_file.setdefault(line.split(":", 1)[0], []).append(line)
    assert set(by_file) == set(BAD_FILES) | {"zz_train.py"}, run.stdout
    for name in BAD_FILES:
        assert len(by_file[name]) == 1 and " HL001 " in by_file[name][0], by_file[name]
    assert " HL101 " in by_file["zz_train.py"][0]
    assert "Traceback" not in run.stderr


def test_error_findings_are_display_only():
    finding = only_error(lint_bytes(b"def f(:\n"))
    assert finding.fix is not None and finding.fix.applicability is Applicability.DISPLAY_ONLY


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_noqa_rows_follow_every_line_ending(newline):
    text = TRAIN.rstrip("\n") + "  # noqa: HL101\n" + "y = 1  # noqa: HL101\n"
    result = lint_bytes(text.replace("\n", newline).encode())
    assert [(f.code, f.start.row) for f in result.findings] == [("HL002", 4)]


def test_a_form_feed_libcst_drops_never_lets_a_fix_edit_the_wrong_characters():
    # libcst drops a form feed that starts a top-level statement's line: its positions on that line
    # are one column short, so the file gets no automatic fix at all (text edits would be misplaced)
    text = "import os\n\x0cx = 1  # noqa: HL101\n"
    result = lint_bytes(text.encode())
    assert [f.code for f in result.findings] == ["HL002"]
    assert not result.findings[0].fix.edits
    linter = make_linter()
    outcome = fix_text(text, lambda t: linter.lint_text(t, "t.py", Path("t.py")).findings)
    assert outcome.text == text
