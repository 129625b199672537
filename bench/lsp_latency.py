"""Latency of `hyperlint server`: time from a didChange to the publishDiagnostics for that version,
on a generated, realistic ~2,000-line training script. Not a test; run it by hand:

    python bench/lsp_latency.py [--runs 15] [--lines 2000] [--json out.json]

Three scenarios, each with its own server process:
- isolated edits, default debounce: an edit after a pause is linted at once (the debounce only
  holds back edits that follow each other quickly), so the figure does not include the debounce;
- a burst of keystrokes 30 ms apart (key repeat, a fast typist), default debounce: measured from
  the last keystroke, so it includes the debounce wait;
- isolated edits with `--debounce 0`: the figure without any debounce.
It also times, in this process on the same text, libcst's parse, a whole lint
(`Linter.lint_text`) and the editor's lint of a one-line edit (`DocumentLinter.lint`, which
re-parses only the statements an edit touched), so the protocol and process overhead can be
read off.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

TARGET_MS = 200.0
BURST_GAP = 0.03

HEADER = '''\
"""Training script for an image classifier (generated for the hyperlint latency benchmark)."""
import argparse
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


def parse_args():
    parser = argparse.ArgumentParser(description="train a classifier")
    parser.add_argument("--data", default="data/")
    parser.add_argument("--epochs", type=int, default=90)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-interval", type=int, default=10)
    return parser.parse_args()


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
'''

SECTION = '''

class Block{i}(nn.Module):
    """Residual block number {i}."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, hidden, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(hidden)
        self.conv2 = nn.Conv2d(hidden, channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        residual = x
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + residual)


class Data{i}(Dataset):
    def __init__(self, root, split, transform=None):
        self.root = os.path.join(root, split)
        self.files = sorted(os.listdir(self.root)) if os.path.isdir(self.root) else []
        self.transform = transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        sample = np.load(os.path.join(self.root, self.files[index]))
        image, label = torch.from_numpy(sample["x"]), int(sample["y"])
        if self.transform is not None:
            image = self.transform(image)
        return image, label


def evaluate_{i}(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            predictions = model(images).argmax(dim=1)
            correct += (predictions == labels).sum().item()
            total += labels.numel()
    return correct / max(total, 1)


def train_{i}(args, model, device):
    train_loader = DataLoader(Data{i}(args.data, "train"), batch_size=args.batch_size,
                              shuffle=True, num_workers=args.workers)
    val_loader = DataLoader(Data{i}(args.data, "val"), batch_size=args.batch_size,
                            num_workers=args.workers)
    optimizer = torch.optim.SGD(model.parameters(), lr={lr}, momentum=args.momentum,
                                weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        started = time.time()
        for step, (images, labels) in enumerate(train_loader):
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            if step % args.log_interval == 0:
                print(f"epoch {{epoch}} step {{step}} loss {{loss.item():.4f}}")
        scheduler.step()
        accuracy = evaluate_{i}(model, val_loader, device)
        best = max(best, accuracy)
        print(f"epoch {{epoch}} accuracy {{accuracy:.3f}} in {{time.time() - started:.1f}}s")
    return best
'''

FOOTER = '''

def main():
    args = parse_args()
    seed_everything(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = nn.Sequential(Block0(64, 128)).to(device)
    print(train_0(args, model, device))


if __name__ == "__main__":
    main()
'''


def training_file(lines: int) -> str:
    """A training script of about ``lines`` lines; one section in four hard-codes the learning rate."""
    parts = [HEADER]
    i = 0
    while sum(part.count("\n") for part in parts) < lines - FOOTER.count("\n"):
        parts.append(SECTION.format(i=i, lr="0.05" if i % 4 == 3 else "args.lr"))
        i += 1
    parts.append(FOOTER)
    return "".join(parts)


class Session:
    """One server process with one open document."""

    def __init__(self, debounce: float | None) -> None:
        self.debounce = debounce
        self.client = LanguageClient("hyperlint-bench", "1")
        self.published: dict[int, tuple[float, list]] = {}
        self.arrived = asyncio.Event()
        self.version = 1

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.published[params.version] = (time.perf_counter(), list(params.diagnostics))
            self.arrived.set()

    async def start(self, folder: Path, text: str) -> None:
        command = [sys.executable, "-m", "hyperlint", "server"]
        if self.debounce is not None:
            command += ["--debounce", str(self.debounce)]
        await self.client.start_io(*command)
        await self.client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(),
                                                                root_uri=folder.as_uri()))
        self.client.initialized(lsp.InitializedParams())
        self.uri = (folder / "train.py").as_uri()
        self.lines = text.splitlines()
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(self.uri, "python", 1, text)))
        await self.wait_for(1)

    async def wait_for(self, version: int, timeout: float = 120.0) -> float:
        deadline = time.perf_counter() + timeout
        while version not in self.published:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), max(deadline - time.perf_counter(), 0.001))
        return self.published[version][0]

    def change(self, line: int, old: str, new: str) -> float:
        """Replace ``old`` with ``new`` on ``line``; return the send time."""
        column = self.lines[line].index(old)
        self.lines[line] = self.lines[line][:column] + new + self.lines[line][column + len(old):]
        self.version += 1
        change = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(line, column), lsp.Position(line, column + len(old))), text=new)
        sent = time.perf_counter()
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(self.version, self.uri), [change]))
        return sent

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await asyncio.sleep(0.2)
        await self.client.stop()


def literal_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines()) if "lr=0.05" in line]


async def isolated_edits(folder: Path, text: str, runs: int, debounce: float | None, pause: float) -> list[float]:
    session = Session(debounce)
    await session.start(folder, text)
    targets = literal_lines(text)
    latencies = []
    value = "0.05"
    for run in range(runs):
        await asyncio.sleep(pause)  # the user stops typing
        new = "0.06" if value == "0.05" else "0.05"
        sent = session.change(targets[run % len(targets)], f"lr={value}", f"lr={new}")
        if run % len(targets) == len(targets) - 1:
            value = new
        latencies.append((await session.wait_for(session.version) - sent) * 1000)
    await session.stop()
    return latencies


async def bursts(folder: Path, text: str, runs: int, keystrokes: int = 5) -> list[float]:
    session = Session(None)
    await session.start(folder, text)
    line = literal_lines(text)[0]
    latencies = []
    for _ in range(runs):
        await asyncio.sleep(1.0)
        for _ in range(keystrokes):  # type "1" a few times into the literal, BURST_GAP apart
            sent = session.change(line, "lr=0.0", "lr=0.01")
            await asyncio.sleep(BURST_GAP)
        latencies.append((await session.wait_for(session.version) - sent) * 1000)
        for _ in range(keystrokes):
            session.change(line, "lr=0.01", "lr=0.0")
        await session.wait_for(session.version)
    await session.stop()
    return latencies


def engine_alone(text: str, runs: int) -> list[float]:
    from hyperlint.cli import effective_codes
    from hyperlint.engine import Linter
    from hyperlint.settings import Settings

    settings = Settings()
    linter = Linter(settings, effective_codes(settings))
    linter.lint_text(text, "train.py")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        linter.lint_text(text, "train.py")
        times.append((time.perf_counter() - started) * 1000)
    return times


def editor_alone(text: str, runs: int) -> list[float]:
    from hyperlint.editor import DocumentLinter

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.py"
        documents = DocumentLinter(Path(folder))
        documents.lint(text, path)
        targets = literal_lines(text)
        lines = text.split("\n")
        times = []
        for run in range(runs):
            edited = list(lines)
            row = targets[run % len(targets)]
            edited[row] = edited[row].replace("lr=0.05", "lr=0.06" if run % 2 == 0 else "lr=0.07")
            started = time.perf_counter()
            documents.lint("\n".join(edited), path)
            times.append((time.perf_counter() - started) * 1000)
    return times


def parse_alone(text: str, runs: int) -> list[float]:
    import libcst

    libcst.parse_module(text)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        libcst.parse_module(text)
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(name: str, values: list[float], debounce_included: bool) -> dict:
    ordered = sorted(values)
    return {
        "scenario": name,
        "runs": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p90_ms": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
        "min_ms": round(ordered[0], 1),
        "debounce_included": debounce_included,
        "within_target": statistics.median(values) <= TARGET_MS,
    }


async def run(args) -> list[dict]:
    from hyperlint.server import DEFAULT_DEBOUNCE

    text = training_file(args.lines)
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        (folder_path / "train.py").write_text(text)
        rows = [summary("libcst.parse_module of the whole text", parse_alone(text, args.runs), False),
                summary("whole lint (Linter.lint_text in process, no LSP)", engine_alone(text, args.runs), False),
                summary("editor's lint of a one-line edit (in process, no LSP)", editor_alone(text, args.runs), False)]
        rows.append(summary(f"isolated edit, default debounce {DEFAULT_DEBOUNCE:g} s (leading edge)",
                            await isolated_edits(folder_path, text, args.runs, None, 1.0), False))
        rows.append(summary("isolated edit, --debounce 0",
                            await isolated_edits(folder_path, text, args.runs, 0.0, 0.5), False))
        rows.append(summary(f"last keystroke of a burst ({BURST_GAP * 1000:.0f} ms apart), default debounce",
                            await bursts(folder_path, text, max(args.runs // 2, 3)), True))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    args = parser.parse_args()
    text = training_file(args.lines)
    print(f"file: {text.count(chr(10))} lines, {len(text)} characters, {len(literal_lines(text))} hard-coded lr")
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    rows = asyncio.run(run(args))
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    width = max(len(r["scenario"]) for r in rows)
    print(f"{'scenario':{width}}  median    p90     min  debounce  <= {TARGET_MS:.0f} ms")
    for r in rows:
        print(f"{r['scenario']:{width}}  {r['median_ms']:6.1f}  {r['p90_ms']:6.1f}  {r['min_ms']:6.1f}  "
              f"{'yes' if r['debounce_included'] else 'no':8}  {'yes' if r['within_target'] else 'NO'}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
