"""The JSON layout of a notebook: a cell position maps to the right character of the JSON text,
and replacing a cell's source changes that source and nothing else."""
from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hyperlint.notebook_json import scan_layout

# characters that JSON escapes in different ways: quotes, backslashes, controls, non-ASCII, astral
CHARACTERS = st.sampled_from(list('ab "\\\t\r\x1b/é€😀=(') + ["\n", "\n", "x"])
SOURCES = st.lists(st.text(CHARACTERS, max_size=30), min_size=1, max_size=4)


def notebook_json(sources: list[str], indent: int | None, ensure_ascii: bool, as_list: list[bool]) -> str:
    cells = []
    for source, split in zip(sources, as_list):
        value = source.splitlines(keepends=True) if split else source
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {"k": "é"}, "outputs": [],
                      "source": value})
    data = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(data, indent=indent, ensure_ascii=ensure_ascii)


@settings(max_examples=150, deadline=None)
@given(SOURCES, st.sampled_from([None, 1, 2]), st.booleans(), st.lists(st.booleans(), min_size=4, max_size=4),
       st.data())
def test_offsets_and_replacement(sources, indent, ensure_ascii, as_list, data):
    text = notebook_json(sources, indent, ensure_ascii, as_list)
    layout = scan_layout(text)
    assert sorted(layout.sources) == list(range(len(sources)))
    for index, source in enumerate(sources):
        value = layout.sources[index]
        # every character of the source maps to the start of its JSON spelling
        for offset, char in enumerate(source):
            at = layout.json_offset(index, offset)
            end = next(e for s, e in value.strings if s < at < e)
            assert json.loads('"' + text[at:end])[0] == char
        end_of_source = value.strings[-1][1] - 1 if value.strings else value.start + 1  # in `[]`
        assert layout.json_offset(index, len(source)) == end_of_source
    # replacing some sources rewrites exactly those
    new = {i: data.draw(st.text(CHARACTERS, max_size=30)) for i in range(len(sources)) if data.draw(st.booleans())}
    rewritten_text = layout.replace_sources(new)
    # the file's own escaping is kept: all-ASCII stays all-ASCII, raw UTF-8 stays raw
    assert rewritten_text.isascii() if ensure_ascii else not re.search(r"\\u(?!00[01])", rewritten_text)
    rewritten = json.loads(rewritten_text)
    original = json.loads(text)
    for index, cell in enumerate(rewritten["cells"]):
        source = cell.pop("source")
        expected = new.get(index, sources[index])
        assert ("".join(source) if isinstance(source, list) else source) == expected
        assert isinstance(source, list) == as_list[index]
        old = original["cells"][index]
        old.pop("source")
        assert cell == old
    if not new:
        assert layout.replace_sources(new) == text


def test_replacement_keeps_every_other_byte():
    text = notebook_json(["a = 1\nb = 2\n", "c = 3"], 1, False, [True, True])
    layout = scan_layout(text)
    new = layout.replace_sources({0: "a = 1\nb = 20\n"})
    assert new == text.replace('"b = 2\\n"', '"b = 20\\n"')
