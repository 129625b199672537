"""``hyperlint server``: a Language Server over stdio (pygls 2 + lsprotocol).

Diagnostics are published on open, save and change (debounced), always from the editor's buffer
rather than the file on disk, with the settings of the project the file belongs to. Code actions:
apply a finding's fix, add ``# noqa: CODE`` on its line, fix all safe fixes of the document.
Linting runs in a child process (``hyperlint.lint_worker``), driven from one thread, so the
protocol stays responsive and even a crash of the native parser cannot stop the server; a buffer
that does not parse is an HL001 diagnostic.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from hyperlint import __version__
from hyperlint.editor import noqa_edits
from hyperlint.engine import INTERNAL_ERROR, PARSE_ERROR, UNUSED_NOQA, LintResult
from hyperlint.finding import Applicability, Finding, TextEdit
from hyperlint.fixes import single_edit
from hyperlint.lint_worker import LintWorker, WorkerFailed, WorkerInterrupted, failure_result
from hyperlint.lsp_positions import UTF16, LineIndex
from hyperlint.notebook import cell_document_path
from hyperlint.registry import rule_by_code
from hyperlint.rule import DOCS_URL

SOURCE = "hyperlint"
FIX_ALL_KIND = "source.fixAll.hyperlint"
# seconds of quiet after changes that come faster than this (a paste, multi-cursor or editor-made
# edits, key repeat) before linting again; a change after a pause is linted at once, and a lint of
# text that has changed since is interrupted, so typing costs at most one stale lint
DEFAULT_DEBOUNCE = 0.05
CONFIG_FILES = ("pyproject.toml", "hyperlint.toml")
NOTEBOOK_CELL_SCHEME = "vscode-notebook-cell"
ERROR_CODES = {PARSE_ERROR, INTERNAL_ERROR}
LINTED_LANGUAGES = {"python", "ipython", "jupyter"}
LINTED_SUFFIXES = (".py", ".pyi", ".ipynb")

logger = logging.getLogger(__name__)


@dataclass
class OpenDocument:
    uri: str
    text: str
    version: int | None
    path: Path | None
    last_change: float = 0.0
    # the latest lint: (text it was computed from, result, line index)
    linted: tuple[str, LintResult, LineIndex] | None = field(default=None, repr=False)
    # the lint under way: (text, future), shared by everyone who needs that text's findings
    in_flight: tuple[str, asyncio.Future] | None = field(default=None, repr=False)


class HyperlintServer(LanguageServer):
    def __init__(self, debounce: float = DEFAULT_DEBOUNCE) -> None:
        super().__init__("hyperlint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.debounce = debounce
        self.documents: dict[str, OpenDocument] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.fallback_root = Path.cwd()  # where an untitled buffer's settings come from
        self.worker = LintWorker()
        # one thread talks to the worker process, so requests reach it in order
        self.lint_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hyperlint-lint")

    # --- the negotiated conventions ----------------------------------------------------------
    @property
    def position_encoding(self) -> str:
        try:
            encoding = self.workspace.position_encoding
        except RuntimeError:  # not initialized yet
            return UTF16
        return str(getattr(encoding, "value", encoding) or UTF16)

    def supports_document_changes(self) -> bool:
        capabilities = self.client_capabilities
        workspace = capabilities.workspace if capabilities else None
        edit = workspace.workspace_edit if workspace else None
        return bool(edit and edit.document_changes)

    # --- documents ---------------------------------------------------------------------------
    def open(self, item: lsp.TextDocumentItem) -> OpenDocument | None:
        """Track a Python document (or notebook); others a client sends along are ignored."""
        path = to_fs_path(item.uri)
        suffix = Path(path).suffix.lower() if path else ""
        if (item.language_id or "").lower() not in LINTED_LANGUAGES and suffix not in LINTED_SUFFIXES:
            return None
        document = OpenDocument(item.uri, item.text, item.version, Path(path) if path else None)
        self.documents[item.uri] = document
        return document

    def change(self, params: lsp.DidChangeTextDocumentParams) -> OpenDocument | None:
        document = self.documents.get(params.text_document.uri)
        if document is None:
            return None
        text = document.text
        for change in params.content_changes:
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                index = LineIndex(text, self.position_encoding)
                start, end = change.range.start, change.range.end
                text = index.apply_change((start.line, start.character), (end.line, end.character), change.text)
            else:
                text = change.text
        document.text = text
        document.version = params.text_document.version
        return document

    # --- linting -----------------------------------------------------------------------------
    def file_path(self, document: OpenDocument) -> Path:
        if document.path is None and document.uri.startswith(NOTEBOOK_CELL_SCHEME + ":"):
            # a notebook cell synced as a document of its own: checked as one IPython cell
            notebook = to_fs_path("file:" + document.uri.split(":", 1)[1].split("#", 1)[0])
            if notebook:
                return cell_document_path(Path(notebook))
        return document.path if document.path is not None else self.fallback_root / "untitled.py"

    def lint_blocking(self, text: str, path: Path, uri: str) -> LintResult | None:
        """The findings for ``text``; None when the lint was interrupted because the buffer changed."""
        try:
            return self.worker.call("lint", text, path, tag=uri)
        except WorkerInterrupted:
            return None
        except WorkerFailed as exc:
            logger.error("checking %s failed: %s", path, exc)
            return failure_result(text, path, str(exc))

    def fixed_text_blocking(self, text: str, path: Path) -> str:
        try:
            return self.worker.call("fixed_text", text, path)
        except WorkerFailed as exc:
            logger.error("fixing %s failed: %s", path, exc)
            return text

    def prepare_blocking(self, path: Path, uri: str) -> None:
        try:
            self.worker.call("prepare_buffer", path, tag=uri)  # a change interrupts it
        except (WorkerFailed, WorkerInterrupted):
            pass  # only a head start for the next edit was lost

    def forget_buffer_blocking(self, path: Path) -> None:
        try:
            self.worker.call("forget_buffer", path)
        except WorkerFailed:
            pass  # a new worker keeps nothing

    def forget_settings_blocking(self) -> None:
        try:
            self.worker.call("forget_settings")
        except WorkerFailed:
            pass  # a new worker reads the settings afresh anyway

    async def lint(self, document: OpenDocument) -> tuple[str, LintResult, LineIndex]:
        """The findings for the document's current text (cached until the text changes)."""
        while True:
            text = document.text
            if document.linted is not None and document.linted[0] is text:
                return document.linted
            if document.in_flight is None or document.in_flight[0] is not text:
                loop = asyncio.get_running_loop()
                future = loop.run_in_executor(self.lint_thread, self.lint_blocking, text,
                                              self.file_path(document), document.uri)
                document.in_flight = (text, future)
            # shielded: a waiter being cancelled (a newer change) must not cancel it for the others
            result = await asyncio.shield(document.in_flight[1])
            if result is not None:
                break
            # interrupted because the buffer changed: check the text it has now
            if document.in_flight is not None and document.in_flight[0] is text:
                document.in_flight = None
        index = LineIndex(result.source or text, self.position_encoding)
        linted = (text, result, index)
        if document.text is text:
            document.linted = linted
        return linted

    def schedule(self, uri: str, delay: float) -> None:
        """(Re)start the lint-and-publish run of a document, replacing a pending one."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._lint_and_publish(uri, delay))

    def on_change(self, document: OpenDocument) -> None:
        """Debounce: an isolated change is linted at once, a burst of changes once it pauses."""
        # a lint of the previous text is useless now: stop it rather than wait for it
        self.worker.interrupt(document.uri)
        now = time.monotonic()
        in_burst = now - document.last_change < self.debounce
        document.last_change = now
        self.schedule(document.uri, self.debounce if in_burst else 0.0)

    async def _lint_and_publish(self, uri: str, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            document = self.documents.get(uri)
            if document is None:
                return
            text, result, index = await self.lint(document)
            if self.documents.get(uri) is not document or document.text is not text:
                return  # changed meanwhile: the run scheduled by that change publishes
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri, diagnostics(result.findings, index), document.version)
            )
            self.prepare(document)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let one document stop the server
            logger.exception("hyperlint: linting %s failed", uri)
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, f"hyperlint: {uri}: {exc!r}"))
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]

    def prepare(self, document: OpenDocument) -> None:
        """Idle time: have the worker ready the document's parse for its next edit."""
        try:
            self.lint_thread.submit(self.prepare_blocking, self.file_path(document), document.uri)
        except RuntimeError:  # shutting down
            pass

    def relint_all(self) -> None:
        self.lint_thread.submit(self.forget_settings_blocking)
        for document in self.documents.values():
            document.linted = document.in_flight = None
            self.schedule(document.uri, 0.0)

    def close(self, uri: str) -> None:
        self.worker.interrupt(uri)
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        document = self.documents.pop(uri, None)
        if document is not None:
            self.lint_thread.submit(self.forget_buffer_blocking, self.file_path(document))
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))

    def stop_work(self) -> None:
        for task in self.pending.values():
            task.cancel()
        self.pending.clear()
        self.lint_thread.submit(self.worker.close)
        self.lint_thread.shutdown(wait=False, cancel_futures=False)

    # --- code actions ------------------------------------------------------------------------
    async def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        document = self.documents.get(params.text_document.uri)
        if document is None:
            return None
        pending = self.pending.get(document.uri)
        if pending is not None and not pending.done():
            # editors ask for code actions after every keystroke: wait for the debounced lint
            # instead of linting each intermediate text
            await asyncio.wait({pending})
        text, result, index = await self.lint(document)
        if document.text is not text:
            return None  # the buffer changed while linting; the editor asks again
        only = params.context.only
        actions: list[lsp.CodeAction] = []
        if _wanted(lsp.CodeActionKind.QuickFix, only):
            selected = _selected(result.findings, index, params.range, params.context.diagnostics)
            noqa = noqa_edits(result.source, selected) if result.source is not None else [None] * len(selected)
            for finding, noqa_edit in zip(selected, noqa):
                diagnostic = to_diagnostic(finding, index)
                fix = finding.fix
                if fix is not None and fix.is_automatic:
                    unsafe = fix.applicability is Applicability.UNSAFE
                    actions.append(lsp.CodeAction(
                        title=f"hyperlint: {fix.message}" + (" (unsafe fix)" if unsafe else ""),
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=self.workspace_edit(document, [to_text_edit(e, index) for e in fix.edits]),
                        is_preferred=not unsafe,
                    ))
                if noqa_edit is not None:
                    actions.append(lsp.CodeAction(
                        title=f"hyperlint: Disable {finding.code} for this line",
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=self.workspace_edit(document, [to_text_edit(noqa_edit, index)]),
                    ))
        if _wanted(FIX_ALL_KIND, only) and any(_safe_fix(f) for f in result.findings):
            loop = asyncio.get_running_loop()
            fixed = await loop.run_in_executor(self.lint_thread, self.fixed_text_blocking, text, self.file_path(document))
            edit = single_edit(text, fixed)
            if edit is not None and document.text is text:
                actions.append(lsp.CodeAction(
                    title="hyperlint: Fix all auto-fixable problems",
                    kind=FIX_ALL_KIND,
                    edit=self.workspace_edit(document, [to_text_edit(edit, index)]),
                ))
        return actions

    def workspace_edit(self, document: OpenDocument, edits: list[lsp.TextEdit]) -> lsp.WorkspaceEdit:
        if self.supports_document_changes():
            identifier = lsp.OptionalVersionedTextDocumentIdentifier(uri=document.uri, version=document.version)
            return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(identifier, edits)])
        return lsp.WorkspaceEdit(changes={document.uri: edits})


# --- findings -> protocol -----------------------------------------------------------------------
def rule_url(code: str) -> str:
    rule = rule_by_code(code)
    return rule.url() if rule is not None else DOCS_URL.format(code=code)


def finding_range(finding: Finding, index: LineIndex) -> lsp.Range:
    start = index.position_of(finding.start.row, finding.start.column)
    end = index.position_of(finding.end.row, finding.end.column)
    return lsp.Range(lsp.Position(*start), lsp.Position(*max(start, end)))


def to_diagnostic(finding: Finding, index: LineIndex) -> lsp.Diagnostic:
    message = finding.message
    if finding.fix is not None and finding.fix.message:
        message += f"\nSuggested fix: {finding.fix.message}"
    return lsp.Diagnostic(
        range=finding_range(finding, index),
        message=message,
        severity=lsp.DiagnosticSeverity.Error if finding.code in ERROR_CODES else lsp.DiagnosticSeverity.Warning,
        code=finding.code,
        code_description=lsp.CodeDescription(href=rule_url(finding.code)),
        source=SOURCE,
        tags=[lsp.DiagnosticTag.Unnecessary] if finding.code == UNUSED_NOQA else None,
    )


def diagnostics(findings: Sequence[Finding], index: LineIndex) -> list[lsp.Diagnostic]:
    return [to_diagnostic(f, index) for f in findings]


def to_text_edit(edit: TextEdit, index: LineIndex) -> lsp.TextEdit:
    start, end = index.position_at(edit.start), index.position_at(edit.end)
    return lsp.TextEdit(lsp.Range(lsp.Position(*start), lsp.Position(*end)), edit.content)


def _safe_fix(finding: Finding) -> bool:
    return bool(finding.fix and finding.fix.is_automatic and finding.fix.applicability is Applicability.SAFE)


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    if not only:
        return True
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def _key(position: lsp.Position) -> tuple[int, int]:
    return position.line, position.character


def _selected(findings: Sequence[Finding], index: LineIndex, requested: lsp.Range,
              context: Sequence[lsp.Diagnostic]) -> list[Finding]:
    """Findings whose range touches the requested range, or that the client passed back."""
    passed = {(d.code, _key(d.range.start), _key(d.range.end)) for d in context if d.source == SOURCE}
    out = []
    for finding in findings:
        where = finding_range(finding, index)
        touches = _key(where.start) <= _key(requested.end) and _key(requested.start) <= _key(where.end)
        if touches or (finding.code, _key(where.start), _key(where.end)) in passed:
            out.append(finding)
    return out


# --- the server ---------------------------------------------------------------------------------
def create_server(debounce: float = DEFAULT_DEBOUNCE) -> HyperlintServer:
    server = HyperlintServer(debounce)

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: HyperlintServer, params: lsp.InitializeParams) -> None:
        folders = params.workspace_folders or []
        root = to_fs_path(folders[0].uri) if folders else (to_fs_path(params.root_uri) if params.root_uri else None)
        root = root or params.root_path
        if root:
            ls.fallback_root = Path(root)
        ls.lint_thread.submit(ls.worker.start)  # the child's imports overlap with the handshake
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce"), (int, float)):
            ls.debounce = max(float(options["debounce"]), 0.0)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: HyperlintServer, params: lsp.InitializedParams) -> None:
        capabilities = ls.client_capabilities.workspace
        watched = capabilities.did_change_watched_files if capabilities else None
        if watched and watched.dynamic_registration:
            watchers = [lsp.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
            registration = lsp.Registration(
                id="hyperlint-config-files",
                method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )
            ls.client_register_capability(lsp.RegistrationParams([registration]))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: HyperlintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        document = ls.open(params.text_document)
        if document is not None:
            document.last_change = time.monotonic()
            ls.schedule(document.uri, 0.0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: HyperlintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        document = ls.change(params)
        if document is not None:
            ls.on_change(document)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    def did_save(ls: HyperlintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith(tuple(f"/{name}" for name in CONFIG_FILES)):
            ls.relint_all()
        elif uri in ls.documents:
            ls.schedule(uri, 0.0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: HyperlintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.close(params.text_document.uri)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: HyperlintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        if any(change.uri.rsplit("/", 1)[-1] in CONFIG_FILES for change in params.changes):
            ls.relint_all()

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=False),
    )
    async def code_action(ls: HyperlintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        return await ls.code_actions(params)

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: HyperlintServer, params: None) -> None:
        ls.stop_work()

    return server


def serve(debounce: float = DEFAULT_DEBOUNCE) -> None:
    """Run the server on stdin/stdout until the client sends ``exit`` or closes the pipe."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="hyperlint server: %(levelname)s: %(message)s")
    # Only the protocol may write to the real stdout: keep a private handle on it and point file
    # descriptor 1 (inherited by the lint worker) and sys.stdout at stderr, so a stray print
    # anywhere, in this process or the child, cannot corrupt the message stream.
    sys.stdout.flush()
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    server = create_server(debounce)
    server.start_io(sys.stdin.buffer, protocol_out)
