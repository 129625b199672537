"""IPython syntax in cells becomes parseable Python with the same rows, and unmasked text keeps
its columns."""
from __future__ import annotations

import ast

import pytest

from hyperlint.ipython_magics import MaskedSpan, mask_cell


def _rows(text: str) -> list[str]:
    return text.split("\n")


@pytest.mark.parametrize(
    "source",
    [
        "%time x = 1",
        "%load_ext autoreload\n%autoreload 2",
        "!pip install torch",
        "!!ls",
        "x = !ls -la",
        "files, other = %sx ls",
        "?obj",
        "obj?",
        "obj.method??",
        "/print 1 2",
        ",print a b",
        ";print a b",
        "%matplotlib inline\nimport torch",
        "for i in range(3):\n    !echo {i}\n    %timeit -n1 f()",
        "if True:\n    %env CUDA_VISIBLE_DEVICES=0",
        "!pip install \\\n    torch \\\n    numpy\ny = 2",
        "%%capture out\nimport torch\n!nvidia-smi",
        "%%time\nfor step in range(3):\n    pass",
        "\n\n%%bash\necho 'not python (' \nls",
        "%%writefile train.py\nimport torch\ndef f(:",
        "async def f():\n    pass\nawait f()",
    ],
)
def test_masked_cell_parses_and_keeps_rows(source: str) -> None:
    masked = mask_cell(source)
    compile(
        masked.python, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    assert len(_rows(masked.python)) == len(_rows(source))


def test_plain_python_is_untouched() -> None:
    source = "import torch\nx = 3 % 2\ny = x != 1\nprint('?')  # what?\n"
    masked = mask_cell(source)
    assert masked.python == source
    assert masked.spans == []


def test_escape_inside_a_string_or_a_bracket_is_not_a_magic() -> None:
    source = 's = """\n!not a shell escape\n%not a magic\n"""\nt = (1,\n     2)\nu = [\n    3,\n]'
    assert mask_cell(source).python == source


def test_line_magics_become_pass_at_their_indentation() -> None:
    masked = mask_cell("for i in range(3):\n    !echo {i}\nx = 1")
    assert _rows(masked.python) == ["for i in range(3):", "    pass", "x = 1"]
    assert masked.spans == [MaskedSpan(2, 4, 13)]


def test_assignment_from_a_shell_escape_keeps_the_target() -> None:
    masked = mask_cell("x = !ls -la\nprint(x)")
    first = _rows(masked.python)[0]
    assert first.startswith("x = ...")
    assert len(first) == len("x = !ls -la")  # padded: the row keeps its width
    assert masked.spans == [MaskedSpan(1, 4, 11)]


def test_timed_statement_is_kept_in_place() -> None:
    masked = mask_cell("%time model.fit(X, y, epochs=10)")
    assert masked.python == "pass; model.fit(X, y, epochs=10)"
    assert masked.python.index("epochs") == "%time model.fit(X, y, epochs=10)".index("epochs")
    assert masked.spans == [MaskedSpan(1, 0, 6)]


def test_timed_with_options_or_compound_is_masked() -> None:
    assert mask_cell("%timeit -n 3 f(lr=0.1)").python == "pass"
    assert mask_cell("%time for i in range(3): f()").python == "pass"


def test_help_at_the_end_of_a_line() -> None:
    masked = mask_cell("import torch\ntorch.optim.SGD?\nx = 1")
    assert _rows(masked.python) == ["import torch", "pass", "x = 1"]


def test_python_cell_magic_masks_only_its_first_line() -> None:
    masked = mask_cell("%%time\nopt = SGD(params, lr=0.01)")
    assert _rows(masked.python) == ["pass", "opt = SGD(params, lr=0.01)"]


def test_other_cell_magics_mask_the_whole_cell() -> None:
    masked = mask_cell("%%bash\npip install torch\necho done")
    assert _rows(masked.python) == ["", "", ""]
    assert {span.row for span in masked.spans} == {1, 2, 3}


def test_backslash_continued_escape_masks_every_row() -> None:
    masked = mask_cell("!pip install \\\n  torch\nx = 1")
    assert _rows(masked.python) == ["pass", "", "x = 1"]
    assert masked.masked_rows() == {1, 2}
