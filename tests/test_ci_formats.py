"""CI output formats, produced by the real CLI: github annotations, SARIF (validated against the
official schema), JUnit XML (parsed), GitLab Code Quality (fingerprints stable across edits)."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import nbformat
import pytest

from ci_support import CLEAN, FIXABLE, VIOLATION, run_hyperlint, sarif_schema
from hyperlint.output.github import escape_data, escape_property

TWO_FINDINGS = VIOLATION + "optimizer2 = torch.optim.Adam(model.parameters(), lr=3e-4)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "train.py").write_text(TWO_FINDINGS)
    (tmp_path / "clean.py").write_text(CLEAN)
    (tmp_path / "fixme.py").write_text(FIXABLE)
    return tmp_path


def check(project: Path, fmt: str, *args: str):
    result = run_hyperlint("check", "--output-format", fmt, *args, cwd=project)
    assert result.returncode in (0, 1), result.stderr
    return result


def json_findings(project: Path, *args: str) -> list[dict]:
    return json.loads(run_hyperlint("check", "--output-format", "json", *args, cwd=project).stdout)


# --- github ---------------------------------------------------------------------------------------
ANNOTATION = re.compile(
    r"^::error file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),endLine=(?P<endLine>\d+),"
    r"endColumn=(?P<endColumn>\d+),title=(?P<title>HL\d{3})::(?P<message>.+)$"
)


def test_github_annotations_match_json_findings(project):
    result = check(project, "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    expected = json_findings(project)
    assert len(lines) == len(expected) == 3
    for line, finding in zip(lines, expected):
        match = ANNOTATION.match(line)
        assert match, line
        assert match["file"] == Path(finding["filename"]).name
        assert (int(match["line"]), int(match["col"])) == (finding["location"]["row"], finding["location"]["column"])
        assert (int(match["endLine"]), int(match["endColumn"])) == (
            finding["end_location"]["row"], finding["end_location"]["column"])
        assert match["title"] == finding["code"]
        message, _, suggested = match["message"].partition("%0ASuggested fix: ")
        assert message == escape_data(finding["message"]) and suggested == escape_data(finding["fix"]["message"])
    assert not any(line.startswith("::") and "\n" in line for line in lines)


def test_github_escapes_properties_and_data(tmp_path):
    odd = tmp_path / "runs,v2:final"
    odd.mkdir()
    (odd / "train 100%.py").write_text(VIOLATION)
    result = check(tmp_path, "github")
    line = result.stdout.strip()
    assert line.startswith("::error file=runs%2Cv2%3Afinal/train 100%25.py,line=4,col=52,")
    assert "title=HL101::" in line
    assert "\n" not in line and "\r" not in line
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_github_notebook_finding_names_its_cell(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x"), nbformat.v4.new_code_cell(VIOLATION)])
    (tmp_path / "nb.ipynb").write_text(nbformat.writes(notebook))
    line = check(tmp_path, "github").stdout.strip()
    # cell-relative rows would point at the wrong line of the .ipynb file: the message carries them
    assert line.startswith("::error file=nb.ipynb,title=HL101::cell 2, line 4: Hard-coded hyperparameter")


def test_github_clean_run_prints_nothing(project):
    result = check(project, "github", "clean.py")
    assert result.returncode == 0 and result.stdout == ""


# --- sarif ----------------------------------------------------------------------------------------
def sarif(project: Path, *args: str) -> dict:
    return json.loads(check(project, "sarif", *args).stdout)


def test_sarif_validates_against_the_official_schema(project):
    schema = sarif_schema()
    log = sarif(project)
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    # an empty run is valid too
    assert not list(validator.iter_errors(sarif(project, "clean.py")))


def test_sarif_rules_carry_rule_documentation(project):
    log = sarif(project)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "hyperlint" and driver["version"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    listed = json.loads(run_hyperlint("rule", "--all", "--output-format", "json", cwd=project).stdout)
    assert {r["code"] for r in listed} <= set(rules)
    assert {"HL001", "HL002"} <= set(rules)
    hl101 = rules["HL101"]
    documentation = json.loads(run_hyperlint("rule", "HL101", "--output-format", "json", cwd=project).stdout)
    assert hl101["name"] == documentation["name"]
    assert hl101["fullDescription"]["text"] == documentation["explanation"]
    assert "## Why is this bad?" in hl101["help"]["text"] and "## Why is this bad?" in hl101["help"]["markdown"]
    assert hl101["shortDescription"]["text"] and "\n" not in hl101["shortDescription"]["text"]
    assert hl101["helpUri"].endswith("HL101")
    assert hl101["defaultConfiguration"] == {"enabled": True, "level": "error"}
    off = [r for r in listed if not r["enabled_by_default"]]
    for rule in off:
        assert rules[rule["code"]]["defaultConfiguration"]["enabled"] is False


def test_sarif_results_locations_and_rule_index(project):
    log = sarif(project)
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    results = run["results"]
    expected = json_findings(project)
    assert [r["ruleId"] for r in results] == [f["code"] for f in expected]
    for result, finding in zip(results, expected):
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": Path(finding["filename"]).name, "uriBaseId": "%SRCROOT%"}
        assert location["region"] == {
            "startLine": finding["location"]["row"], "startColumn": finding["location"]["column"],
            "endLine": finding["end_location"]["row"], "endColumn": finding["end_location"]["column"],
        }
        assert result["message"]["text"].startswith(finding["message"])
        assert "Suggested fix: " + finding["fix"]["message"] in result["message"]["text"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"


def test_sarif_fix_replacements_reproduce_the_fixed_file(project):
    (project / "fixme.py").write_text("import os\n\nx = 1  # noqa: HL101  \ny = 2\n")
    log = sarif(project, "fixme.py")
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "HL002"
    (fix,) = result["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "fixme.py"
    # apply the replacements to the file by hand and compare with what --fix writes
    lines = (project / "fixme.py").read_text().splitlines(keepends=True)
    for replacement in sorted(change["replacements"], key=lambda r: (r["deletedRegion"]["startLine"],
                                                                      r["deletedRegion"]["startColumn"]), reverse=True):
        region = replacement["deletedRegion"]
        assert region["startLine"] == region["endLine"]
        row = region["startLine"] - 1
        line = lines[row]
        lines[row] = line[: region["startColumn"] - 1] + replacement["insertedContent"]["text"] + line[region["endColumn"] - 1 :]
    by_hand = "".join(lines)
    assert run_hyperlint("check", "--fix", "fixme.py", cwd=project).returncode == 0
    assert by_hand == (project / "fixme.py").read_text()
    # a result carries fixes exactly when its finding has an automatic fix (safe or unsafe)
    results = sarif(project, "train.py", "clean.py")["runs"][0]["results"]
    expected = json_findings(project, "train.py", "clean.py")
    assert [("fixes" in r) for r in results] == [
        bool(f["fix"]["edits"]) and f["fix"]["applicability"] != "display-only" for f in expected]
    for result, finding in zip(results, expected):
        if "fixes" in result:
            assert finding["fix"]["applicability"] in result["fixes"][0]["description"]["text"]


# --- junit ----------------------------------------------------------------------------------------
def test_junit_xml_one_suite_testcase_per_file_failure_per_finding(project):
    result = check(project, "junit")
    assert result.returncode == 1
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {"clean.py", "fixme.py", "train.py"}
    assert suite.get("tests") == "3" and suite.get("failures") == "2"
    assert cases["clean.py"].findall("failure") == []
    failures = cases["train.py"].findall("failure")
    expected = [f for f in json_findings(project) if f["filename"].endswith("train.py")]
    assert [f.get("type") for f in failures] == [f["code"] for f in expected] == ["HL101", "HL101"]
    for failure, finding in zip(failures, expected):
        where = f"{finding['location']['row']}:{finding['location']['column']}"
        assert failure.get("message") == f"{where}: {finding['code']} {finding['message']}"
        assert f"Suggested fix: {finding['fix']['message']}" in failure.text
    assert cases["fixme.py"].find("failure").get("type") == "HL002"


def test_junit_clean_run_has_passing_testcases(project):
    root = ET.fromstring(check(project, "junit", "clean.py").stdout)
    suite = root.find("testsuite")
    assert suite.get("failures") == "0" and [c.get("name") for c in suite.iter("testcase")] == ["clean.py"]


# --- gitlab ---------------------------------------------------------------------------------------
def gitlab(project: Path, *args: str) -> list[dict]:
    return json.loads(check(project, "gitlab", *args).stdout)


def test_gitlab_code_quality_fields(project):
    issues = gitlab(project)
    expected = json_findings(project)
    assert len(issues) == len(expected) == 3
    for issue, finding in zip(issues, expected):
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["check_name"] == finding["code"]
        assert finding["message"] in issue["description"]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] == Path(finding["filename"]).name
        assert issue["location"]["lines"]["begin"] == finding["location"]["row"]
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)


def test_gitlab_fingerprints_survive_lines_inserted_above(project):
    before = {(i["check_name"], i["fingerprint"]): i["location"]["lines"]["begin"] for i in gitlab(project, "train.py")}
    (project / "train.py").write_text('"""Training script."""\nimport os\n\n\n' + TWO_FINDINGS)
    after = {(i["check_name"], i["fingerprint"]): i["location"]["lines"]["begin"] for i in gitlab(project, "train.py")}
    assert set(before) == set(after)
    assert all(after[key] == before[key] + 4 for key in before)


def test_gitlab_fingerprints_differ_for_identical_lines_and_other_files(project):
    line = "optimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
    (project / "train.py").write_text(VIOLATION + line)
    (project / "other.py").write_text(VIOLATION)
    issues = gitlab(project, "train.py", "other.py")
    assert len(issues) == 3
    assert len({i["fingerprint"] for i in issues}) == 3
    # an edited finding is a different finding
    first = {i["fingerprint"] for i in gitlab(project, "other.py")}
    (project / "other.py").write_text(VIOLATION.replace("lr=0.01", "lr=0.02"))
    assert first.isdisjoint({i["fingerprint"] for i in gitlab(project, "other.py")})


# --- json-lines -----------------------------------------------------------------------------------
def test_json_lines_is_one_json_finding_per_line(project):
    lines = check(project, "json-lines").stdout.splitlines()
    assert [json.loads(line) for line in lines] == json_findings(project)


def test_unknown_format_lists_the_ci_formats(project):
    result = run_hyperlint("check", "--output-format", "nope", cwd=project)
    assert result.returncode == 2
    for name in ("github", "gitlab", "junit", "sarif", "json-lines"):
        assert name in result.stderr
