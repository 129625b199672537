"""The README's editor snippets: the JSON and TOML ones parse, every snippet starts
`hyperlint server`, and the command they configure really is a language server."""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

README = Path(__file__).resolve().parents[1] / "README.md"


def editors_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Editors\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, "README has no `## Editors` section"
    return match.group(1)


def snippets(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", editors_section(), re.S)


def test_every_editor_has_a_snippet():
    section = editors_section()
    for editor in ("VS Code", "Neovim", "Helix", "Emacs"):
        assert f"**{editor}" in section
    assert len(snippets("lua")) == 3  # vim.lsp.config, vim.lsp.start, nvim-lspconfig
    assert "vim.lsp.start" in section and "lspconfig" in section
    for snippet in snippets("lua"):
        assert '{ "hyperlint", "server" }' in snippet
    (elisp,) = snippets("elisp")
    assert '("hyperlint" "server")' in elisp and elisp.count("(") == elisp.count(")")


def test_vscode_and_helix_snippets_parse():
    (vscode,) = snippets("json")
    settings = json.loads(vscode)
    assert settings["glspc.server.command"] == "hyperlint"
    assert settings["glspc.server.commandArguments"] == ["server"]
    assert settings["editor.codeActionsOnSave"] == {"source.fixAll.hyperlint": "explicit"}
    (helix,) = snippets("toml")
    languages = tomllib.loads(helix)
    assert languages["language-server"]["hyperlint"] == {"command": "hyperlint", "args": ["server"]}
    assert "hyperlint" in languages["language"][0]["language-servers"]


@pytest.mark.asyncio
async def test_the_configured_command_is_a_language_server(tmp_path: Path):
    (vscode,) = snippets("json")
    settings = json.loads(vscode)
    # the `hyperlint` console script of this installation, as an editor finds it on PATH
    name = settings["glspc.server.command"]
    command = Path(sys.executable).parent / name
    if not command.exists():
        command = Path(shutil.which(name) or name)
    assert command.exists(), f"no `{name}` script next to {sys.executable} or on PATH"
    client = LanguageClient("readme-test", "1")
    await client.start_io(str(command), *settings["glspc.server.commandArguments"], cwd=str(tmp_path),
                          env={**os.environ})
    try:
        result = await asyncio.wait_for(
            client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(),
                                                         root_uri=tmp_path.as_uri())), 60)
        assert result.server_info.name == "hyperlint"
        assert "source.fixAll.hyperlint" in result.capabilities.code_action_provider.code_action_kinds
        await asyncio.wait_for(client.shutdown_async(None), 60)
        client.exit(None)
        assert await asyncio.wait_for(client._server.wait(), 60) == 0
    finally:
        await client.stop()
