"""The findings cache: hits, invalidation, --no-cache, corrupt entries, concurrency, --fix."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from perf_support import cache_entries, findings_json, run, write_project

from hyperlint import cache as cache_module
from hyperlint.cache import FindingsCache, configuration_key
from hyperlint.finding import Applicability, Finding, Fix, Position, TextEdit
from hyperlint.finding_codec import decode_findings, encode_findings
from hyperlint.settings import Settings


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / "p", files=3, filler=3)


def _poison(entries: list[Path], message: str) -> None:
    """Rewrite every cache entry so that its findings carry ``message``: a run that returns
    it has read the cache."""
    for entry in entries:
        header, _, body = entry.read_text().partition("\n")
        data = json.loads(body)
        for finding in data["findings"]:
            finding["message"] = message
        entry.write_text(header + "\n" + json.dumps(data))


def test_a_second_run_reads_the_cache_and_gives_identical_findings(project):
    first = findings_json(cwd=project)
    entries = cache_entries(project)
    assert len(entries) == 4  # one per file, the one with a syntax error included
    assert (project / ".hyperlint_cache" / ".gitignore").read_text().strip().endswith("*")
    assert findings_json(cwd=project) == first
    _poison(entries, "from the cache")
    assert {f["message"] for f in findings_json(cwd=project)} == {"from the cache"}


def test_text_output_from_the_cache_shows_the_code_frame(project):
    first = run("check", ".", cwd=project)
    second = run("check", ".", cwd=project)
    assert first.returncode == second.returncode == 1
    assert first.stdout == second.stdout
    assert "optim.SGD" in second.stdout  # the source line, from the file, under the finding


def test_changed_content_misses(project):
    findings_json(cwd=project)
    _poison(cache_entries(project), "stale")
    target = project / "train_01.py"
    target.write_text(target.read_text().replace("lr=0.021", "lr=args.lr"))
    found = findings_json(cwd=project)
    assert not [f for f in found if f["filename"].endswith("train_01.py") and "`0.021`" in f["message"]]
    fresh = [f for f in found if f["filename"].endswith("train_01.py")]
    assert fresh and all(f["message"] != "stale" for f in fresh)
    assert [f for f in found if f["message"] == "stale"]  # the unchanged files still hit


def test_changed_configuration_misses(project):
    findings_json(cwd=project)
    _poison(cache_entries(project), "stale")
    (project / "pyproject.toml").write_text('[tool.hyperlint]\nignore = ["HL002"]\n')
    found = findings_json(cwd=project)
    assert found and all(f["message"] != "stale" for f in found)
    assert "HL002" not in {f["code"] for f in found}


def test_selection_on_the_command_line_is_part_of_the_key(project):
    everything = findings_json(cwd=project)
    only = findings_json("--select", "HL002", cwd=project)
    assert {f["code"] for f in only} <= {"HL001", "HL002"}
    assert findings_json(cwd=project) == everything


def test_version_code_and_settings_change_the_key(monkeypatch, tmp_path):
    settings = Settings(root=tmp_path)
    enabled = {"HL101"}
    base = configuration_key(settings, enabled)
    assert configuration_key(settings, enabled) == base
    assert configuration_key(settings, {"HL101", "HL102"}) != base
    assert configuration_key(settings.with_overrides(lint_tests=True), enabled) != base
    monkeypatch.setattr(cache_module, "__version__", "99.0")
    assert configuration_key(settings, enabled) != base
    monkeypatch.undo()
    monkeypatch.setattr(cache_module, "code_digest", lambda: "edited rules")
    assert configuration_key(settings, enabled) != base


def test_path_and_content_are_part_of_an_entry_key(tmp_path):
    cache = FindingsCache(tmp_path, Settings(root=tmp_path), {"HL101"})
    key = cache.key(tmp_path / "a.py", "a.py", b"x = 1\n")
    assert key == cache.key(tmp_path / "a.py", "a.py", b"x = 1\n")
    assert key != cache.key(tmp_path / "a.py", "a.py", b"x = 2\n")
    assert key != cache.key(tmp_path / "b.py", "b.py", b"x = 1\n")


def test_no_cache_neither_reads_nor_writes(project):
    findings_json("--no-cache", cwd=project)
    assert not (project / ".hyperlint_cache").exists()
    first = findings_json(cwd=project)
    _poison(cache_entries(project), "from the cache")
    assert findings_json("--no-cache", cwd=project) == first


def test_a_folder_without_configuration_gets_no_cache(tmp_path):
    (tmp_path / "train.py").write_text("import torch\nopt = torch.optim.SGD(p, lr=0.1)\n")
    assert run("check", ".", cwd=tmp_path).returncode == 1
    assert [p.name for p in tmp_path.iterdir()] == ["train.py"]


def test_corrupt_entries_are_misses_and_get_rewritten(project):
    first = findings_json(cwd=project)
    entries = cache_entries(project)
    valid = entries[3].read_bytes()
    garbage = [b"", b"\x00\xff\xfe", b"hyperlint-cache 1 wrongkey\n[]", valid[: len(valid) // 2]]
    for entry, data in zip(entries, garbage):
        entry.write_bytes(data)
    assert findings_json(cwd=project) == first
    for entry in entries:
        header = entry.read_text().partition("\n")[0]
        assert header.startswith("hyperlint-cache ") and header.endswith(entry.stem)


def test_entry_of_another_key_is_rejected(tmp_path):
    cache = FindingsCache(tmp_path, Settings(root=tmp_path), {"HL101"})
    finding = Finding("HL101", "m", "a.py", Position(1, 1), Position(1, 2), Fix("f", Applicability.DISPLAY_ONLY), 1)
    key_a = cache.key(tmp_path / "a.py", "a.py", b"a")
    key_b = cache.key(tmp_path / "a.py", "a.py", b"b")
    assert cache.put(key_a, [finding])
    cache._entry(key_b).parent.mkdir(parents=True, exist_ok=True)
    cache._entry(key_b).write_bytes(cache._entry(key_a).read_bytes())  # copied under the wrong name
    assert cache.get(key_a) == ([finding], None)
    assert cache.get(key_b) is None


def test_runs_that_say_more_about_the_run_than_the_file_are_not_cached(tmp_path):
    cache = FindingsCache(tmp_path, Settings(root=tmp_path), {"HL101"})
    key = cache.key(tmp_path / "a.py", "a.py", b"a")
    timeout = Finding("HL003", "too slow", "a.py", Position(1, 1), Position(1, 1), None, 1)
    assert not cache.put(key, [timeout])
    assert cache.get(key) is None


def test_concurrent_runs_agree_and_leave_no_temporary_files(project):
    command = [sys.executable, "-m", "hyperlint", "check", ".", "--output-format", "json", "--jobs", "1"]
    runs = [subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
    outputs = [json.loads(p.communicate(timeout=600)[0]) for p in runs]
    assert outputs[0] == outputs[1] == outputs[2]
    assert findings_json(cwd=project) == outputs[0]
    assert not [p for p in (project / ".hyperlint_cache").rglob("*") if p.name.startswith(".tmp-")]


def test_fix_is_not_skipped_by_a_cached_clean_answer(project):
    before = findings_json("--select", "HL002", cwd=project)
    assert [f for f in before if f["code"] == "HL002"]  # cached: a finding with a safe fix
    result = run("check", ".", "--fix", "--select", "HL002", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    assert "# noqa" not in (project / "train_00.py").read_text()
    after = findings_json("--select", "HL002", cwd=project)
    assert not [f for f in after if f["code"] == "HL002"]


def test_findings_round_trip_through_the_codec():
    findings = [
        Finding("HL101", "Hard-coded `lr` é", "dir/a.py", Position(3, 5), Position(3, 9),
                Fix("Use args.lr", Applicability.UNSAFE, (TextEdit(10, 14, "args.lr"), TextEdit(0, 0, "import x\n"))),
                noqa_row=4, cell=2, start_offset=10, end_offset=14, statement_rows=(3, 4), extra={"slot": "lr", "n": [1]}),
        Finding("HL001", "SyntaxError: invalid syntax", "b.py", Position(1, 1), Position(1, 1), None),
    ]
    assert decode_findings(encode_findings(findings)) == findings


def test_findings_that_would_not_round_trip_are_not_encoded():
    lossy = Finding("HL101", "m", "a.py", Position(1, 1), Position(1, 2), None, extra={"pair": (1, 2)})
    assert encode_findings([lossy]) is None


def test_a_fifo_is_refused_not_read_by_the_cache_lookup(project):
    import os

    fifo = project / "pipe.py"
    os.mkfifo(fifo)
    result = run("check", ".", "pipe.py", "--output-format", "json", cwd=project)
    assert result.returncode == 1, result.stderr
    pipe = [f for f in json.loads(result.stdout) if f["filename"].endswith("pipe.py")]
    assert [f["code"] for f in pipe] == ["HL001"]
