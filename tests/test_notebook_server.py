"""Notebooks in editors: an `.ipynb` opened as a JSON text document gets diagnostics placed in
that JSON text, and its quick fixes, noqa actions and fix-all keep the notebook valid."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import nbformat
import pytest
import pytest_lsp
from lsprotocol import types as lsp
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pygls.workspace import TextDocument
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from hyperlint.editor import DocumentLinter, noqa_edits
from hyperlint.source import SourceText

SGD_LITERAL = "opt = torch.optim.SGD(model.parameters(), lr=0.01)"
SERVER = [sys.executable, "-m", "hyperlint", "server"]
TIMEOUT = 60


def notebook_text() -> str:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    trained = new_code_cell("model = torch.nn.Linear(2, 2)\n" + SGD_LITERAL, execution_count=1,
                            outputs=[new_output("stream", name="stdout", text="ok\n")])
    nb.cells = [new_markdown_cell("# Ünïcode title"), new_code_cell("!pip install torch\nimport torch  # noqa: HL101"),
                trained]
    return nbformat.writes(nb) + "\n"


def apply(text: str, edit) -> str:
    return text[: edit.start] + edit.content + text[edit.end :]


# --- the editor seam, without a protocol ----------------------------------------------------------
def test_buffer_findings_are_placed_in_the_json_text(tmp_path):
    text = notebook_text()
    result = DocumentLinter(tmp_path).lint(text, tmp_path / "nb.ipynb")
    assert [(f.code, f.cell) for f in result.findings] == [("HL002", 2), ("HL101", 3)]
    unused, literal = result.findings
    assert text[literal.start_offset : literal.end_offset] == "0.01"
    row = SourceText(text).line(literal.start.row)
    assert row.strip() == json.dumps(SGD_LITERAL)
    assert row[literal.start.column - 1 : literal.end.column - 1] == "0.01"
    assert text[unused.start_offset : unused.end_offset] == "# noqa: HL101"


def test_quick_fix_and_noqa_edits_keep_the_notebook_valid(tmp_path):
    text = notebook_text()
    result = DocumentLinter(tmp_path).lint(text, tmp_path / "nb.ipynb")
    unused, literal = result.findings
    fixed = apply(text, unused.fix.edits[0])
    assert nbformat.reads(fixed, as_version=4).cells[1].source == "!pip install torch\nimport torch"
    [noqa] = noqa_edits(result.source, [literal])
    silenced = apply(text, noqa)
    nb = nbformat.reads(silenced, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[2].source.endswith(SGD_LITERAL + "  # noqa: HL101")
    again = DocumentLinter(tmp_path).lint(silenced, tmp_path / "nb.ipynb")
    assert [f.code for f in again.findings] == ["HL002"]


def test_fixed_text_of_a_notebook_buffer(tmp_path):
    text = notebook_text()
    fixed = DocumentLinter(tmp_path).fixed_text(text, tmp_path / "nb.ipynb")
    nb = nbformat.reads(fixed, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[1].source == "!pip install torch\nimport torch"
    assert nb.cells[2].outputs[0]["text"] == "ok\n"
    invalid = '{"cells": ['
    assert DocumentLinter(tmp_path).fixed_text(invalid, tmp_path / "nb.ipynb") == invalid
    [finding] = DocumentLinter(tmp_path).lint(invalid, tmp_path / "nb.ipynb").findings
    assert finding.code == "HL001" and finding.cell is None


# --- over the protocol ----------------------------------------------------------------------------
@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    @lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:  # as VS Code does: accept
        pass

    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="project")]))
    yield
    await lsp_client.shutdown_session()


async def _diagnostics(client: LanguageClient, uri: str, version: int) -> list[lsp.Diagnostic]:
    async def wait():
        while True:
            params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)

    return await asyncio.wait_for(wait(), TIMEOUT)


@pytest.mark.asyncio
async def test_server_lints_an_ipynb_opened_as_json(client: LanguageClient, tmp_path: Path):
    text = notebook_text()
    uri = (tmp_path / "nb.ipynb").as_uri()
    document = TextDocument(uri, text, 1)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "json", 1, text)))
    diagnostics = await _diagnostics(client, uri, 1)
    assert sorted(d.code for d in diagnostics) == ["HL002", "HL101"]
    literal = next(d for d in diagnostics if d.code == "HL101")
    line = document.lines[literal.range.start.line]
    assert line[literal.range.start.character : literal.range.end.character] == "0.01"

    unused = next(d for d in diagnostics if d.code == "HL002")
    params = lsp.CodeActionParams(lsp.TextDocumentIdentifier(uri), unused.range, lsp.CodeActionContext([unused]))
    actions = await asyncio.wait_for(client.text_document_code_action_async(params), TIMEOUT)
    [fix] = [a for a in actions if a.is_preferred]
    [change] = fix.edit.document_changes
    for edit in change.edits:
        document.apply_change(lsp.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
    nb = nbformat.reads(document.source, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[1].source == "!pip install torch\nimport torch"
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(2, uri), [lsp.TextDocumentContentChangeWholeDocument(document.source)]))
    assert [d.code for d in await _diagnostics(client, uri, 2)] == ["HL101"]


# --- a cell synced as a document of its own (VS Code without notebook sync) ------------------------
CELL = "!pip install torch\n%matplotlib inline\nimport torch\nmodel = torch.nn.Linear(2, 2)  # noqa: HL101\n" + SGD_LITERAL


def test_a_cell_document_is_checked_as_ipython(tmp_path):
    from hyperlint.notebook import cell_document_path

    path = cell_document_path(tmp_path / "nb.ipynb")
    documents = DocumentLinter(tmp_path)
    result = documents.lint(CELL, path)
    assert [(f.code, f.cell, f.start.row) for f in result.findings] == [("HL002", None, 4), ("HL101", None, 5)]
    literal = result.findings[1]
    assert CELL[literal.start_offset : literal.end_offset] == "0.01"
    fixed = documents.fixed_text(CELL, path)
    assert fixed == CELL.replace("  # noqa: HL101", "")
    # the notebook's own per-file settings apply to its cells
    (tmp_path / "pyproject.toml").write_text('[tool.hyperlint]\nper-file-ignores = { "*.ipynb" = ["HL101"] }\n')
    assert [f.code for f in DocumentLinter(tmp_path).lint(CELL, path).findings] == ["HL002"]


@pytest.mark.asyncio
async def test_server_checks_a_notebook_cell_document_without_parse_errors(client: LanguageClient, tmp_path: Path):
    uri = "vscode-notebook-cell:" + (tmp_path / "nb.ipynb").as_uri()[len("file:"):] + "#W2sZmlsZQ%3D%3D"
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, CELL)))
    diagnostics = await _diagnostics(client, uri, 1)
    assert sorted(d.code for d in diagnostics) == ["HL002", "HL101"]
    literal = next(d for d in diagnostics if d.code == "HL101")
    assert (literal.range.start.line, literal.range.start.character) == (4, SGD_LITERAL.index("0.01"))
