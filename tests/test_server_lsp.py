"""The language server end to end: `hyperlint server` started as a subprocess, spoken to over
stdio by pytest-lsp's client, as an editor would."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from editor_support import training_functions
from lsprotocol import types as lsp
from pygls.workspace import TextDocument
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from hyperlint.registry import rule_by_code

pytestmark = pytest.mark.asyncio

SERVER = [sys.executable, "-m", "hyperlint", "server"]
TIMEOUT = 60  # generous: the machine is shared; nothing here measures speed

SGD = "import torch\n\nmodel = torch.nn.Linear(4, 2)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
CLEAN = "import torch\n\nmodel = torch.nn.Linear(4, 2)\noptimizer = torch.optim.SGD(model.parameters(), lr=args.lr)\n"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    lsp_client.registrations = []

    @lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:  # as VS Code does: accept
        lsp_client.registrations.extend(params.registrations)

    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=tmp_path.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="project")],
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def plain_client(lsp_client: LanguageClient, tmp_path: Path):
    """A minimal client: no capabilities declared (UTF-16 positions, `changes` edits)."""
    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=tmp_path.as_uri())
    )
    yield
    await lsp_client.shutdown_session()


# --- helpers --------------------------------------------------------------------------------
class Buffer:
    """An editor buffer: its text lives here, the server only ever sees it through the protocol."""

    def __init__(self, client: LanguageClient, path: Path, text: str) -> None:
        self.client = client
        self.path = path
        self.uri = path.as_uri()
        self.version = 1
        self.document = TextDocument(self.uri, text, self.version)

    @property
    def text(self) -> str:
        return self.document.source

    def open(self) -> None:
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(self.uri, "python", self.version, self.text))
        )

    def edit(self, start: tuple[int, int], end: tuple[int, int], new_text: str) -> None:
        """An incremental change, as editors send them."""
        change = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(*start), lsp.Position(*end)), text=new_text
        )
        self.document.apply_change(change)
        self.version += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(self.version, self.uri), [change])
        )

    def replace_all(self, text: str) -> None:
        self.document = TextDocument(self.uri, text, self.version)
        self.version += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(self.version, self.uri),
                [lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def apply(self, edit: lsp.WorkspaceEdit) -> None:
        """Apply a code action's edit to the buffer (with pygls' own position handling) and tell the
        server, like an editor does."""
        if edit.document_changes:
            (change,) = edit.document_changes
            assert change.text_document.uri == self.uri
            assert change.text_document.version == self.version
            edits = list(change.edits)
        else:
            edits = list(edit.changes[self.uri])
        # LSP edits all refer to the original text: apply from the end backwards
        for text_edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            self.document.apply_change(lsp.TextDocumentContentChangePartial(range=text_edit.range, text=text_edit.new_text))
        self.replace_all(self.text)

    async def diagnostics(self) -> list[lsp.Diagnostic]:
        """The diagnostics published for the buffer's current version."""
        async def wait() -> list[lsp.Diagnostic]:
            while True:
                published = self.client.diagnostics.get(self.uri)
                version = self.client_versions.get(self.uri)
                if published is not None and version == self.version:
                    return list(published)
                params = await self.client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
                self.client_versions[params.uri] = params.version

        return await asyncio.wait_for(wait(), TIMEOUT)

    @property
    def client_versions(self) -> dict:
        if not hasattr(self.client, "published_versions"):
            self.client.published_versions = {}
        return self.client.published_versions

    async def code_actions(self, where: lsp.Range, diagnostics=(), only=None) -> list[lsp.CodeAction]:
        params = lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(self.uri),
            range=where,
            context=lsp.CodeActionContext(diagnostics=list(diagnostics), only=only),
        )
        return list(await asyncio.wait_for(self.client.text_document_code_action_async(params), TIMEOUT) or [])


def cli_json(path: Path) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "hyperlint", "check", "--output-format", "json", str(path)],
        capture_output=True, text=True, cwd=path.parent,
    )
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def codes(diagnostics) -> list[str]:
    return sorted(d.code for d in diagnostics)


# --- diagnostics ------------------------------------------------------------------------------
async def test_diagnostics_after_open_match_the_cli(client: LanguageClient, tmp_path: Path):
    path = tmp_path / "train.py"
    path.write_text(SGD)
    buffer = Buffer(client, path, SGD)
    buffer.open()
    (diagnostic,) = await buffer.diagnostics()

    (expected,) = cli_json(path)
    assert diagnostic.code == expected["code"] == "HL101"
    assert diagnostic.source == "hyperlint"
    assert diagnostic.severity == lsp.DiagnosticSeverity.Warning
    assert diagnostic.code_description.href == rule_by_code("HL101").url() == expected["url"]
    # ASCII text: the LSP position is the CLI's 1-based row/column minus one
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (
        expected["location"]["row"] - 1, expected["location"]["column"] - 1)
    assert (diagnostic.range.end.line, diagnostic.range.end.character) == (
        expected["end_location"]["row"] - 1, expected["end_location"]["column"] - 1)
    assert buffer.text.splitlines()[3][diagnostic.range.start.character:diagnostic.range.end.character] == "0.01"
    # the message carries the suggested fix
    assert diagnostic.message.startswith(expected["message"])
    assert f"Suggested fix: {expected['fix']['message']}" in diagnostic.message


async def test_positions_count_utf16_code_units(client: LanguageClient, tmp_path: Path):
    # 'é' is one UTF-16 unit, '😀' two: the literal starts at character 14 + 45 in UTF-16
    line = "note = 'é😀'; optimizer = torch.optim.SGD(model.parameters(), lr=0.01)"
    text = f"import torch\n{line}\n"
    buffer = Buffer(client, tmp_path / "train.py", text)
    buffer.open()
    (diagnostic,) = await buffer.diagnostics()
    start = len(line[: line.index("0.01")].encode("utf-16-le")) // 2
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (1, start)
    assert diagnostic.range.end.character == start + 4
    assert start == line.index("0.01") + 1  # one more than the character count: the emoji


async def test_diagnostics_follow_the_unsaved_buffer(client: LanguageClient, tmp_path: Path):
    path = tmp_path / "train.py"
    path.write_text(SGD)  # on disk: a violation; in the editor: clean, then edited
    buffer = Buffer(client, path, CLEAN)
    buffer.open()
    assert await buffer.diagnostics() == []

    line = CLEAN.splitlines()[3]
    column = line.index("args.lr")
    buffer.edit((3, column), (3, column + len("args.lr")), "0.01")
    diagnostics = await buffer.diagnostics()
    assert codes(diagnostics) == ["HL101"]
    assert diagnostics[0].range.start == lsp.Position(3, column)

    buffer.edit((3, column), (3, column + len("0.01")), "args.lr")
    assert await buffer.diagnostics() == []


async def test_burst_of_changes_ends_with_the_last_version(client: LanguageClient, tmp_path: Path):
    buffer = Buffer(client, tmp_path / "train.py", CLEAN)
    buffer.open()
    assert await buffer.diagnostics() == []
    line = CLEAN.splitlines()[3]
    column = line.index("args.lr")
    buffer.edit((3, column), (3, column + len("args.lr")), "")
    for char in "0.01":  # typed one key at a time
        buffer.edit((3, column), (3, column), char)
        column += 1
    assert buffer.text == SGD
    assert codes(await buffer.diagnostics()) == ["HL101"]


async def test_diagnostics_published_on_save(client: LanguageClient, tmp_path: Path):
    path = tmp_path / "train.py"
    buffer = Buffer(client, path, SGD)
    buffer.open()
    assert codes(await buffer.diagnostics()) == ["HL101"]
    path.write_text(SGD)
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(buffer.uri)))
    params = await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), TIMEOUT)
    assert params.uri == buffer.uri and params.version == buffer.version
    assert codes(params.diagnostics) == ["HL101"]


async def test_closing_a_document_clears_its_diagnostics(client: LanguageClient, tmp_path: Path):
    buffer = Buffer(client, tmp_path / "train.py", SGD)
    buffer.open()
    assert codes(await buffer.diagnostics()) == ["HL101"]
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(buffer.uri)))
    params = await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), TIMEOUT)
    assert params.uri == buffer.uri and list(params.diagnostics) == []


async def test_only_python_documents_are_checked(client: LanguageClient, tmp_path: Path):
    config = tmp_path / "pyproject.toml"
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(config.as_uri(), "toml", 1, '[tool.hyperlint]\nselect = ["HL1"]\n')))
    script = tmp_path / "train"  # no suffix, but the editor says it is Python
    buffer = Buffer(client, script, SGD)
    buffer.open()
    assert codes(await buffer.diagnostics()) == ["HL101"]
    assert config.as_uri() not in client.diagnostics


async def test_syntax_error_is_a_diagnostic_and_the_server_lives_on(client: LanguageClient, tmp_path: Path):
    buffer = Buffer(client, tmp_path / "train.py", "import torch\ndef broken(:\n    pass\n")
    buffer.open()
    (diagnostic,) = await buffer.diagnostics()
    assert diagnostic.code == "HL001"
    assert diagnostic.severity == lsp.DiagnosticSeverity.Error
    assert diagnostic.range.start.line == 1
    assert "Syntax" in diagnostic.message
    # no quick fix or noqa for a file that could not be checked
    assert await buffer.code_actions(diagnostic.range, [diagnostic]) == []

    buffer.replace_all(SGD)  # repaired: checked again
    assert codes(await buffer.diagnostics()) == ["HL101"]
    for text in ("\x00\x01 binary", "def f(:\n" * 300, "x = (\n"):
        buffer.replace_all(text)
        assert codes(await buffer.diagnostics()) == ["HL001"], text
    buffer.replace_all("")
    assert await buffer.diagnostics() == []


async def test_a_parser_crash_does_not_take_the_server_down(client: LanguageClient, tmp_path: Path):
    buffer = Buffer(client, tmp_path / "train.py", SGD)
    buffer.open()
    assert codes(await buffer.diagnostics()) == ["HL101"]
    # thousands of nested brackets crash libcst's native parser (SIGSEGV) in the process it runs in
    buffer.replace_all("x = " + "(" * 5000 + "\n")
    (diagnostic,) = await buffer.diagnostics()
    assert diagnostic.code in ("HL001", "HL004")
    assert diagnostic.severity == lsp.DiagnosticSeverity.Error
    buffer.replace_all(SGD)
    assert codes(await buffer.diagnostics()) == ["HL101"]


# --- configuration ----------------------------------------------------------------------------
async def test_reads_the_projects_configuration(client: LanguageClient, tmp_path: Path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.hyperlint]\nignore = ["HL101"]\n')
    (tmp_path / "pkg").mkdir()
    buffer = Buffer(client, tmp_path / "pkg" / "train.py", SGD)
    buffer.open()
    assert await buffer.diagnostics() == []
    # the server asked to hear about configuration files changing
    (registration,) = client.registrations
    assert registration.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
    assert {w["globPattern"] for w in registration.register_options["watchers"]} == {
        "**/pyproject.toml", "**/hyperlint.toml"}

    config.write_text('[tool.hyperlint]\nignroe = ["HL101"]\n')  # a typo: a clear error, no crash
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(config.as_uri(), lsp.FileChangeType.Changed)]))
    buffer.replace_all(SGD)
    (diagnostic,) = await buffer.diagnostics()
    assert diagnostic.code == "HL001" and "ignroe" in diagnostic.message and "pyproject.toml" in diagnostic.message

    config.write_text('[tool.hyperlint]\nselect = ["HL1"]\n')
    buffer.replace_all(SGD)
    assert codes(await buffer.diagnostics()) == ["HL101"]


# --- code actions -----------------------------------------------------------------------------
async def test_quick_fix_removes_the_diagnostic(client: LanguageClient, tmp_path: Path):
    text = "import torch\nnote = 'é😀'  # noqa: HL101\n"
    buffer = Buffer(client, tmp_path / "train.py", text)
    buffer.open()
    (diagnostic,) = await buffer.diagnostics()
    assert diagnostic.code == "HL002" and lsp.DiagnosticTag.Unnecessary in diagnostic.tags

    actions = await buffer.code_actions(diagnostic.range, [diagnostic])
    fixes = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix and a.is_preferred]
    assert len(fixes) == 1 and "Remove" in fixes[0].title
    assert fixes[0].diagnostics[0].code == "HL002"
    buffer.apply(fixes[0].edit)
    assert buffer.text == "import torch\nnote = 'é😀'\n"  # UTF-16 positions converted right
    assert await buffer.diagnostics() == []


async def test_noqa_action_silences_the_finding(client: LanguageClient, tmp_path: Path):
    text = SGD.replace("optimizer =", "label = 'ünï'; optimizer =") + "print('done')  # a comment\n"
    buffer = Buffer(client, tmp_path / "train.py", text)
    buffer.open()
    (diagnostic,) = await buffer.diagnostics()
    cursor = lsp.Range(diagnostic.range.start, diagnostic.range.start)
    actions = await buffer.code_actions(cursor)
    (noqa,) = [a for a in actions if "Disable HL101" in a.title]
    buffer.apply(noqa.edit)
    assert buffer.text.splitlines()[3].endswith("lr=0.01)  # noqa: HL101")
    assert await buffer.diagnostics() == []  # no HL101, and the new noqa is used (no HL002)


async def test_noqa_action_extends_an_existing_directive(client: LanguageClient, tmp_path: Path):
    text = SGD.replace("lr=0.01)", "lr=0.01)  # noqa: E501")
    buffer = Buffer(client, tmp_path / "train.py", text)
    buffer.open()
    (diagnostic,) = await buffer.diagnostics()
    actions = await buffer.code_actions(diagnostic.range, [diagnostic], only=[lsp.CodeActionKind.QuickFix])
    (noqa,) = [a for a in actions if "Disable HL101" in a.title]
    buffer.apply(noqa.edit)
    assert buffer.text.splitlines()[3].endswith("lr=0.01)  # noqa: E501, HL101")
    assert await buffer.diagnostics() == []


async def test_fix_all_applies_every_safe_fix(plain_client: LanguageClient, tmp_path: Path):
    text = (
        "import torch\n"
        "a = 1  # noqa: HL101\n"
        "b = '😀'  # noqa: HL101, E501\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
    )
    buffer = Buffer(plain_client, tmp_path / "train.py", text)
    buffer.open()
    assert codes(await buffer.diagnostics()) == ["HL002", "HL002", "HL101"]
    whole = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    (fix_all,) = await buffer.code_actions(whole, only=[lsp.CodeActionKind.SourceFixAll])
    assert fix_all.kind == "source.fixAll.hyperlint"
    assert fix_all.edit.changes is not None  # this client did not announce documentChanges
    buffer.apply(fix_all.edit)
    assert buffer.text == (
        "import torch\n"
        "a = 1\n"
        "b = '😀'  # noqa: E501\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
    )
    # the display-only finding stays; nothing automatic is left to fix
    assert codes(await buffer.diagnostics()) == ["HL101"]
    assert await buffer.code_actions(whole, only=["source.fixAll"]) == []


# --- lifecycle --------------------------------------------------------------------------------
@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def bare_client(lsp_client: LanguageClient):
    yield


async def test_shutdown_and_exit(bare_client: LanguageClient, tmp_path: Path):
    result = await bare_client.initialize_session(
        lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=tmp_path.as_uri())
    )
    assert result.server_info.name == "hyperlint"
    buffer = Buffer(bare_client, tmp_path / "train.py", SGD)
    buffer.open()
    assert codes(await buffer.diagnostics()) == ["HL101"]
    buffer.replace_all(CLEAN)  # a lint may still be pending when shutdown arrives
    assert await asyncio.wait_for(bare_client.shutdown_async(None), TIMEOUT) is None
    bare_client.exit(None)
    process = bare_client._server
    assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0


async def test_code_actions_asked_mid_burst_match_the_latest_text(client: LanguageClient, tmp_path: Path):
    buffer = Buffer(client, tmp_path / "train.py", "import torch\nx = 1\n")
    buffer.open()
    assert await buffer.diagnostics() == []
    for char in "  # noqa: HL101":  # typed quickly; the editor asks for code actions after each key
        end = len(buffer.text.splitlines()[1])
        buffer.edit((1, end), (1, end), char)
    actions = await buffer.code_actions(lsp.Range(lsp.Position(1, 0), lsp.Position(1, 99)))
    (fix,) = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix and a.is_preferred]
    buffer.apply(fix.edit)
    assert buffer.text == "import torch\nx = 1\n"
    assert await buffer.diagnostics() == []


async def test_rule_fixes_safe_and_unsafe(client: LanguageClient, tmp_path: Path):
    text = (
        "import torch\n"
        "import torch.nn as nn\n"
        "model = nn.Linear(10, 2)  # modèle 😀\n"
        "model.weight.data.normal_(0, 0.01)\n"
        "for p in model.parameters():\n"
        "    p.data.clamp_(-0.01, 0.01)\n"
    )
    buffer = Buffer(client, tmp_path / "train.py", text)
    buffer.open()
    diagnostics = await buffer.diagnostics()
    assert codes(diagnostics) == ["HL201", "HL201"]
    safe_diagnostic, unsafe_diagnostic = sorted(diagnostics, key=lambda d: d.range.start.line)

    (safe,) = [a for a in await buffer.code_actions(safe_diagnostic.range, [safe_diagnostic])
               if a.kind == lsp.CodeActionKind.QuickFix and "Disable" not in a.title]
    assert safe.is_preferred and "unsafe" not in safe.title
    (unsafe,) = [a for a in await buffer.code_actions(unsafe_diagnostic.range, [unsafe_diagnostic])
                 if a.kind == lsp.CodeActionKind.QuickFix and "Disable" not in a.title]
    assert not unsafe.is_preferred and unsafe.title.endswith("(unsafe fix)")

    # fix-all applies only the safe fix
    whole = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    (fix_all,) = await buffer.code_actions(whole, only=["source.fixAll.hyperlint"])
    buffer.apply(fix_all.edit)
    assert "nn.init.normal_(model.weight, 0, 0.01)\n" in buffer.text
    (remaining,) = await buffer.diagnostics()
    assert remaining.range.start.line == 5

    # the unsafe one is there on request
    (unsafe,) = [a for a in await buffer.code_actions(remaining.range, [remaining])
                 if a.kind == lsp.CodeActionKind.QuickFix and "Disable" not in a.title]
    buffer.apply(unsafe.edit)
    assert "    with torch.no_grad():\n        p.clamp_(-0.01, 0.01)\n" in buffer.text
    assert await buffer.diagnostics() == []



async def test_diagnostics_after_edits_match_a_fresh_cli_run(client: LanguageClient, tmp_path: Path):
    """The server re-parses only the statements an edit touched; what it publishes after each
    edit (lines shifted above, a literal changed, a block added) is what the CLI says of the text."""
    buffer = Buffer(client, tmp_path / "train.py", "import torch\nfrom torch import nn\n" + training_functions(8))
    buffer.open()
    await buffer.diagnostics()
    copy = tmp_path / "copy" / "train.py"
    copy.parent.mkdir()

    def expected() -> list[tuple]:
        copy.write_text(buffer.text)
        return sorted((f["code"], f["location"]["row"] - 1, f["location"]["column"] - 1,
                       f["end_location"]["row"] - 1, f["end_location"]["column"] - 1) for f in cli_json(copy))

    def published(diagnostics) -> list[tuple]:
        return sorted((d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
                      for d in diagnostics)

    lines = buffer.text.splitlines()
    third = lines.index("def train_2(model, loader):")
    buffer.edit((third + 1, 0), (third + 1, 0), "    # a comment and a blank line shift what follows\n\n")
    assert published(await buffer.diagnostics()) == expected()
    sixth = buffer.text.splitlines().index("def train_5(model, loader):") + 1
    column = buffer.text.splitlines()[sixth].index("momentum=0.9")
    buffer.edit((sixth, column), (sixth, column + len("momentum=0.9")), "momentum=args.momentum")
    assert published(await buffer.diagnostics()) == expected()
    buffer.edit((3, 0), (3, 0), "BATCH_SIZE = 64\nloader = torch.utils.data.DataLoader(data, batch_size=BATCH_SIZE)\n\n")
    after = published(await buffer.diagnostics())
    assert after == expected() and any(code == "HL102" for code, *_ in after)
