"""The composite GitHub Action (``action.yml``), run step by step the way the Actions runner runs a
composite action: each step's ``env`` expressions evaluated, its script run with
``bash --noprofile --norc -eo pipefail``, outputs read from ``$GITHUB_OUTPUT``. Also the README's
workflow snippet, run through the action."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from ci_support import CLEAN, REPO, VIOLATION, code_blocks, project_snapshot, readme_section, sarif_schema

pytestmark = pytest.mark.network

EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def load_action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text())


class ActionRunner:
    def __init__(self, action: dict, action_path: Path, runner_temp: Path, extra_env: dict[str, str]) -> None:
        self.action = action
        self.action_path = action_path
        self.runner_temp = runner_temp
        self.extra_env = extra_env

    def inputs(self, given: dict[str, str]) -> dict[str, str]:
        unknown = set(given) - set(self.action["inputs"])
        assert not unknown, f"not inputs of the action: {unknown}"
        return {name: str(given.get(name, spec.get("default", ""))) for name, spec in self.action["inputs"].items()}

    def evaluate(self, text: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
        def value(match: re.Match) -> str:
            parts = match.group(1).split(".")
            if parts[0] == "inputs" and len(parts) == 2:
                return inputs[parts[1]]
            if parts == ["github", "action_path"]:
                return str(self.action_path)
            if parts == ["runner", "temp"]:
                return str(self.runner_temp)
            if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                return steps.get(parts[1], {}).get(parts[3], "")
            raise AssertionError(f"expression the test runner does not know: {match.group(0)}")

        return EXPRESSION.sub(value, str(text))

    def run(self, workspace: Path, given: dict[str, str], only: set[str] | None = None):
        """Run the steps (those with a name in ``only``, if given); returns (exit code of the
        failing or last step, the action's outputs)."""
        inputs = self.inputs(given)
        steps: dict[str, dict[str, str]] = {}
        code = 0
        for index, step in enumerate(self.action["runs"]["steps"]):
            if only is not None and step["name"] not in only:
                continue
            assert step["shell"] == "bash" and "uses" not in step
            output_file = self.runner_temp / f"output-{index}"
            output_file.write_text("")
            env = {**os.environ, **self.extra_env, "GITHUB_OUTPUT": str(output_file), "GITHUB_WORKSPACE": str(workspace)}
            env.update({k: self.evaluate(v, inputs, steps) for k, v in step.get("env", {}).items()})
            script = self.runner_temp / f"step-{index}.sh"
            script.write_text(self.evaluate(step["run"], inputs, steps))
            process = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                                     cwd=workspace, env=env, capture_output=True, text=True, timeout=900)
            outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
            steps[step.get("id", f"step{index}")] = outputs
            code = process.returncode
            if code != 0:
                break
        action_outputs = {name: self.evaluate(spec["value"], inputs, steps) for name, spec in self.action["outputs"].items()}
        return code, action_outputs, process


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> ActionRunner:
    tmp = tmp_path_factory.mktemp("action")
    action_path = tmp / "hyperlint-action"
    project_snapshot(action_path)
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir()
    runner = ActionRunner(load_action(), action_path, runner_temp, {})
    code, _, process = runner.run(tmp, {}, only={"Install hyperlint"})
    assert code == 0, process.stdout + process.stderr
    assert process.stdout.strip().startswith("hyperlint ")
    return runner


def workspace(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "train.py").write_text(text)
    return tmp_path


def assert_valid_sarif(path: Path) -> dict:
    log = json.loads(path.read_text())
    validator = jsonschema.Draft4Validator(sarif_schema())
    errors = list(validator.iter_errors(log))
    assert not errors, errors[0].message
    return log


def test_action_metadata():
    action = load_action()
    assert action["runs"]["using"] == "composite"
    assert {"args", "version", "path", "sarif-file", "exit-zero"} <= set(action["inputs"])
    assert {"sarif-file", "exit-code"} <= set(action["outputs"])
    assert action["inputs"]["exit-zero"]["default"] == "false"
    # inputs reach scripts only through env (never pasted into the script: no injection)
    for step in action["runs"]["steps"]:
        assert "${{" not in step["run"]


def test_action_writes_sarif_and_fails_on_findings(runner, tmp_path):
    folder = workspace(tmp_path, VIOLATION)
    code, outputs, process = runner.run(folder, {}, only={"Run hyperlint"})
    assert code == 1, process.stderr
    assert outputs == {"sarif-file": "hyperlint.sarif", "exit-code": "1"}
    log = assert_valid_sarif(folder / outputs["sarif-file"])
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["HL101"]


def test_action_exit_zero_args_and_sarif_file_inputs(runner, tmp_path):
    folder = workspace(tmp_path, CLEAN)
    (folder / "my dir").mkdir()
    (folder / "my dir" / "train.py").write_text(VIOLATION)
    given = {"args": "'my dir' --select HL1", "exit-zero": "true", "sarif-file": "out/report.sarif"}
    (folder / "out").mkdir()
    code, outputs, process = runner.run(folder, given, only={"Run hyperlint"})
    assert code == 0, process.stderr
    assert outputs == {"sarif-file": "out/report.sarif", "exit-code": "0"}
    log = assert_valid_sarif(folder / "out" / "report.sarif")
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]]
    assert uris == ["my%20dir/train.py"]


def test_action_passes_on_clean_code(runner, tmp_path):
    folder = workspace(tmp_path, CLEAN)
    code, outputs, _ = runner.run(folder, {}, only={"Run hyperlint"})
    assert code == 0 and outputs["exit-code"] == "0"
    assert assert_valid_sarif(folder / "hyperlint.sarif")["runs"][0]["results"] == []


def readme_workflow() -> dict:
    blocks = [b for b in code_blocks(readme_section("CI and pre-commit"), "yaml") if "jobs:" in b]
    assert len(blocks) == 1
    return yaml.safe_load(blocks[0])


def test_readme_workflow_snippet_runs_through_the_action(runner, tmp_path):
    workflow = readme_workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    ours = [s for s in steps if re.fullmatch(r"[^/]+/hyperlint@\S+", s.get("uses", ""))]
    assert len(ours) == 1
    step = ours[0]
    upload = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert len(upload) == 1
    reference = re.fullmatch(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}", upload[0]["with"]["sarif_file"])
    assert reference and reference.group(1) == step["id"] and reference.group(2) in load_action()["outputs"]
    assert "always()" in upload[0]["if"] or "!cancelled()" in upload[0]["if"], "upload even when findings fail the step"
    assert steps.index(upload[0]) > steps.index(step)
    # run the action with the snippet's inputs, then check what upload-sarif would be given
    folder = workspace(tmp_path, VIOLATION)
    code, outputs, _ = runner.run(folder, step.get("with", {}), only={"Run hyperlint"})
    assert code == 1
    sarif_file = folder / outputs[reference.group(2)]
    assert [r["ruleId"] for r in assert_valid_sarif(sarif_file)["runs"][0]["results"]] == ["HL101"]
