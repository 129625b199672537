"""The pieces of the language server that are plain text work: LSP positions in UTF-8/16/32,
line breaks as LSP defines them, and the edits behind the noqa and fix-all code actions."""
from __future__ import annotations

from pathlib import Path

import pytest

from hyperlint.editor import DocumentLinter, noqa_edits
from hyperlint.fixes import single_edit
from hyperlint.finding import TextEdit
from hyperlint.lsp_positions import UTF8, UTF16, UTF32, LineIndex, code_units
from hyperlint.source import SourceText

SGD = "import torch\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [(UTF8, 1 + 2 + 4 + 1), (UTF16, 1 + 1 + 2 + 1), (UTF32, 4)],
)
def test_code_units_per_encoding(encoding, expected):
    assert code_units("aé😀b", encoding) == expected


@pytest.mark.parametrize("encoding", [UTF8, UTF16, UTF32])
def test_offsets_round_trip_through_positions(encoding):
    text = "a = 'é'\r\nb = '😀' + 'x'\rc\x0cd = 1\n\u2028e = 2\n"
    index = LineIndex(text, encoding)
    for offset in range(len(text) + 1):
        line, character = index.position_at(offset)
        back = index.offset_at(line, character)
        # offsets inside a line break map to the end of their line
        assert back == offset or text[back:offset].strip("\r\n") == "", (offset, back)


def test_only_cr_lf_and_crlf_end_lines():
    # form feed and U+2028 are line breaks for str.splitlines, not for LSP
    index = LineIndex("a\x0cb\u2028c\r\nd\re\n", UTF16)
    assert index.position_at(4) == (0, 4)  # the 'c'
    assert index.position_at(7) == (1, 0)  # 'd' after \r\n
    assert index.position_at(9) == (2, 0)  # 'e' after a lone \r


def test_finding_columns_become_utf16_characters():
    line = "s = '😀'; t = 1"
    index = LineIndex(f"x\n{line}\n", UTF16)
    column = line.index("t = 1") + 1  # hyperlint's 1-based character column
    assert index.position_of(2, column) == (1, line.index("t = 1") + 1)
    assert LineIndex(f"x\n{line}\n", UTF32).position_of(2, column) == (1, line.index("t = 1"))
    # past the end of a line, or of the text, clamps
    assert index.position_of(1, 99) == (0, 1)
    assert index.position_of(9, 1) == (2, 0)


def test_positions_past_a_line_end_mean_the_line_end():
    index = LineIndex("ab\r\ncd\n", UTF16)
    assert index.offset_at(0, 50) == 2
    assert index.offset_at(7, 0) == len("ab\r\ncd\n")


def test_incremental_change_in_utf16():
    index = LineIndex("x = '😀'\ny = 2\n", UTF16)
    # replace the 2 after the emoji-bearing line; the emoji counts 2 units
    assert index.apply_change((0, 5), (0, 7), "ok") == "x = 'ok'\ny = 2\n"
    assert index.apply_change((1, 4), (1, 5), "3") == "x = '😀'\ny = 3\n"


def test_single_edit_keeps_common_ends():
    assert single_edit("abcdef", "abXYef") == TextEdit(2, 4, "XY")
    assert single_edit("aaa", "aaaa") == TextEdit(3, 3, "a")
    assert single_edit("same", "same") is None


def _lint(text: str, path: Path) -> list:
    return DocumentLinter().lint(text, path).findings


def _apply(text: str, edit: TextEdit) -> str:
    return text[: edit.start] + edit.content + text[edit.end :]


def test_noqa_goes_after_the_statement_of_a_backslash_continued_line(tmp_path):
    text = "import torch\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01) \\\n    if True else None\n"
    (finding,) = _lint(text, tmp_path / "train.py")
    (edit,) = noqa_edits(SourceText(text), [finding])
    fixed = _apply(text, edit)
    assert fixed.endswith("    if True else None  # noqa: HL101\n")
    assert _lint(fixed, tmp_path / "train.py") == []


def test_no_noqa_edit_where_a_bare_noqa_would_have_silenced_it(tmp_path):
    text = SGD
    (finding,) = _lint(text, tmp_path / "train.py")
    assert noqa_edits(SourceText(text), [finding])[0] is not None
    (syntax_error,) = _lint("def broken(:\n", tmp_path / "train.py")
    assert noqa_edits(SourceText("def broken(:\n"), [syntax_error]) == [None]


def test_buffer_settings_come_from_the_nearest_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.hyperlint]\nignore = ["HL1"]\n')
    (tmp_path / "sub").mkdir()
    linter = DocumentLinter()
    assert _lint(SGD, tmp_path / "other" / "train.py") == []
    assert linter.lint(SGD, tmp_path / "sub" / "train.py").findings == []
    (tmp_path / "pyproject.toml").write_text('[tool.hyperlint]\nselect = ["HL1"]\n')
    assert [f.code for f in linter.lint(SGD, tmp_path / "sub" / "train.py").findings] == ["HL101"]
    (tmp_path / "pyproject.toml").write_text("[tool.hyperlint]\nselect = 3\n")
    (error,) = linter.lint(SGD, tmp_path / "sub" / "train.py").findings
    assert error.code == "HL001" and "select" in error.message


def test_fixed_text_applies_safe_fixes_only(tmp_path):
    text = "import torch\na = 1  # noqa: HL101\n" + SGD.split("\n", 1)[1]
    fixed = DocumentLinter().fixed_text(text, tmp_path / "train.py")
    assert fixed == "import torch\na = 1\n" + SGD.split("\n", 1)[1]
