"""The `hyperlint` command line, run as a subprocess: exit codes, formats, config, noqa."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

VIOLATION = "import torch\nopt = torch.optim.SGD(model.parameters(), lr=0.01)\n"
CLEAN = "import torch\nopt = torch.optim.SGD(model.parameters(), lr=args.lr)\n"


def run(*args, cwd=None, input=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERLINT")}
    return subprocess.run(
        [sys.executable, "-m", "hyperlint", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, input=input, env=env, timeout=120,
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return tmp_path


def test_version_and_module_entry_point():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("hyperlint ")


def test_exit_codes(project):
    write(project, "clean.py", CLEAN)
    assert run("check", "clean.py", cwd=project).returncode == 0
    write(project, "bad.py", VIOLATION)
    assert run("check", "bad.py", cwd=project).returncode == 1
    assert run("check", "bad.py", "--exit-zero", cwd=project).returncode == 0
    assert run("check", "--output-format", "nope", cwd=project).returncode == 2
    assert run("check", "--select", "XYZ9", cwd=project).returncode == 2


def test_text_format_has_location_frame_and_suggestion(project):
    write(project, "train.py", VIOLATION)
    out = run("check", "train.py", cwd=project).stdout
    assert "train.py:2:46: HL101 Hard-coded hyperparameter: `lr` of `torch.optim.SGD` is `0.01`" in out
    assert "2 | opt = torch.optim.SGD(model.parameters(), lr=0.01)" in out
    assert "^^^^ HL101" in out
    assert "= help: Move the value into a config" in out
    assert "Found 1 error." in out


def test_concise_and_quiet(project):
    write(project, "train.py", VIOLATION)
    result = run("check", "train.py", "--output-format", "concise", "--quiet", cwd=project)
    assert result.stdout.splitlines() == [
        "train.py:2:46: HL101 Hard-coded hyperparameter: `lr` of `torch.optim.SGD` is `0.01`"
    ]


def test_json_has_ruffs_layout(project):
    write(project, "train.py", VIOLATION)
    data = json.loads(run("check", "train.py", "--output-format", "json", cwd=project).stdout)
    assert len(data) == 1
    item = data[0]
    assert set(item) == {"cell", "code", "end_location", "filename", "fix", "location", "message", "noqa_row", "url"}
    assert item["code"] == "HL101"
    assert item["location"] == {"column": 46, "row": 2} and item["end_location"] == {"column": 50, "row": 2}
    assert item["filename"] == str((project / "train.py").resolve())
    assert item["noqa_row"] == 2 and item["cell"] is None
    assert set(item["fix"]) == {"applicability", "edits", "message"}
    assert item["fix"]["applicability"] in ("safe", "unsafe", "display-only")
    assert item["url"].endswith("HL101")


def test_json_lines(project):
    write(project, "train.py", VIOLATION + "opt2 = torch.optim.Adam(model.parameters(), lr=0.1)\n")
    lines = run("check", "train.py", "--output-format", "json-lines", cwd=project).stdout.splitlines()
    assert [json.loads(line)["location"]["row"] for line in lines] == [2, 3]


def test_statistics(project):
    write(project, "a.py", VIOLATION)
    write(project, "b.py", VIOLATION + "for epoch in range(5):\n    opt.step()\n")
    out = run("check", ".", "--statistics", cwd=project).stdout
    assert "    2\tHL101\t    hardcoded-hyperparameter" in out
    assert "    1\tHL103\t    hardcoded-training-loop-count" in out


def test_select_ignore_extend_select_by_prefix(project):
    write(project, "train.py", VIOLATION + "for epoch in range(5):\n    opt.step()\n")
    codes = lambda *a: sorted(json.loads(run("check", "train.py", "--output-format", "json", *a, cwd=project).stdout),
                              key=lambda f: f["code"])
    assert [f["code"] for f in codes()] == ["HL101", "HL103"]
    assert [f["code"] for f in codes("--select", "HL103")] == ["HL103"]
    assert [f["code"] for f in codes("--ignore", "HL10")] == []
    assert [f["code"] for f in codes("--select", "HL002", "--extend-select", "HL101")] == ["HL101"]


def test_recurses_and_honours_gitignore_and_exclude(project):
    write(project, "src/train.py", VIOLATION)
    write(project, "build_out/gen.py", VIOLATION)
    write(project, "legacy/old.py", VIOLATION)
    write(project, ".venv/lib/x.py", VIOLATION)
    (project / ".gitignore").write_text("build_out/\n")
    (project / "pyproject.toml").write_text("[tool.hyperlint]\nextend-exclude = ['legacy/']\n")
    data = json.loads(run("check", "--output-format", "json", cwd=project).stdout)
    assert {Path(f["filename"]).relative_to(project.resolve()).as_posix() for f in data} == {"src/train.py"}


def test_config_select_per_file_ignores_and_slots(project):
    (project / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.hyperlint]
        ignore = ["HL103"]
        per-file-ignores = { "scripts/*" = ["HL1"] }
        [tool.hyperlint.hyperparameter-slots]
        "mylib.fit" = { lr = 1, epochs = "kw" }
    """))
    write(project, "train.py", "import mylib\nmylib.fit(m, 0.1, epochs=3)\nfor e in range(5):\n    opt.step()\n")
    write(project, "scripts/tool.py", VIOLATION)
    data = json.loads(run("check", "--output-format", "json", cwd=project).stdout)
    assert sorted((Path(f["filename"]).name, f["code"], f["location"]["row"]) for f in data) == [
        ("train.py", "HL101", 2), ("train.py", "HL101", 2)
    ]


def test_hyperlint_toml_is_found(project):
    (project / "hyperlint.toml").write_text('select = ["HL103"]\n')
    write(project, "train.py", VIOLATION)
    assert run("check", "train.py", cwd=project).returncode == 0


@pytest.mark.parametrize(
    "toml, expected",
    [
        ("[tool.hyperlint]\nselcet = ['HL1']\n", "unknown key `selcet`"),
        ("[tool.hyperlint]\nselect = 'HL1'\n", "`select` must be a list of strings"),
        ("[tool.hyperlint]\nlint-tests = 1\n", "`lint-tests` must be true or false"),
        ("[tool.hyperlint.hyperparameter-slots]\n'a.b' = { lr = 'x' }\n", "`hyperparameter-slots.a.b.lr`"),
        ("[tool.hyperlint\n", "invalid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(project, toml, expected):
    (project / "pyproject.toml").write_text(toml)
    write(project, "train.py", CLEAN)
    result = run("check", "train.py", cwd=project)
    assert result.returncode == 2
    assert expected in result.stderr and "pyproject.toml" in result.stderr


def test_unparsable_and_undecodable_files_give_hl001_and_the_run_goes_on(project):
    write(project, "broken.py", "def f(:\n    pass\n")
    (project / "latin.py").write_bytes(b"x = '\xe9t\xe9'\n")
    write(project, "train.py", VIOLATION)
    result = run("check", ".", "--output-format", "json", cwd=project)
    assert result.returncode == 1
    found = {(Path(f["filename"]).name, f["code"]): f for f in json.loads(result.stdout)}
    assert set(found) == {("broken.py", "HL001"), ("latin.py", "HL001"), ("train.py", "HL101")}
    assert found["broken.py", "HL001"]["location"]["row"] == 1
    assert found["broken.py", "HL001"]["location"]["column"] == 7
    assert "SyntaxError: invalid syntax" in found["broken.py", "HL001"]["message"]
    assert "cannot decode" in found["latin.py", "HL001"]["message"]
    # a coding cookie makes the same bytes valid
    (project / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9t\xe9'\n")
    assert run("check", "latin.py", cwd=project).returncode == 0


def test_noqa_forms(project):
    write(project, "train.py", """\
        import torch
        a = torch.optim.SGD(p, lr=0.01)  # noqa: HL101
        b = torch.optim.SGD(p, lr=0.01)  # noqa
        c = torch.optim.SGD(p, lr=0.01)  # noqa: HL2
        d = torch.optim.SGD(  # noqa: HL101
            p,
            lr=0.01,
        )
        e = torch.optim.SGD(
            p,
            lr=0.01,
        )  # noqa: HL101
        f = torch.optim.SGD(p, lr=0.01)  # noqa: E501
    """)
    data = json.loads(run("check", "train.py", "--output-format", "json", cwd=project).stdout)
    assert sorted((f["code"], f["location"]["row"]) for f in data) == [("HL002", 4), ("HL101", 4), ("HL101", 13)]


def test_unused_noqa_is_reported_and_fixable(project):
    path = write(project, "train.py", "import torch\nx = 1  # noqa: HL101\n")
    result = run("check", "train.py", "--output-format", "json", cwd=project)
    (item,) = json.loads(result.stdout)
    assert item["code"] == "HL002" and "HL101" in item["message"]
    assert item["fix"]["applicability"] == "safe"
    assert run("check", "train.py", "--fix", cwd=project).returncode == 0
    assert path.read_text() == "import torch\nx = 1\n"


def test_file_level_noqa(project):
    write(project, "a.py", "# hyperlint: noqa\n" + VIOLATION)
    write(project, "b.py", "# hyperlint: noqa: HL1\n" + VIOLATION)
    write(project, "c.py", "# hyperlint: noqa: HL2\n" + VIOLATION)
    data = json.loads(run("check", ".", "--output-format", "json", cwd=project).stdout)
    assert [Path(f["filename"]).name for f in data] == ["c.py"]


def test_rule_documentation():
    result = run("rule", "HL101")
    assert result.returncode == 0
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert section in result.stdout
    listing = run("rule", "--all").stdout
    assert "HL101" in listing and "hardcoded-hyperparameter" in listing
    assert any(line.startswith("HL106") and line.rstrip().endswith("off") for line in listing.splitlines())
    assert run("rule", "HL999").returncode == 2


def test_examples_script_is_linted():
    repo = Path(__file__).resolve().parents[1]
    result = run("check", "examples/", "--output-format", "json", cwd=repo)
    assert result.returncode == 1
    families = {f["code"][:3] for f in json.loads(result.stdout)}
    assert "HL1" in families


def test_rule_options_reach_the_rule_and_are_validated(project):
    write(project, "train.py", "net = build_net(dropout_rate=0.3)\nfit(model, lr=0.1)\n")
    (project / "pyproject.toml").write_text(
        "[tool.hyperlint.rules.HL105]\nextend-keywords = ['dropout_rate']\nignore-callees = ['fit']\n"
    )
    data = json.loads(run("check", "train.py", "--output-format", "json", cwd=project).stdout)
    assert [(f["code"], f["location"]["row"]) for f in data] == [("HL105", 1)]
    (project / "pyproject.toml").write_text("[tool.hyperlint.rules.HL105]\nextra = 1\n")
    result = run("check", "train.py", cwd=project)
    assert result.returncode == 2 and "`rules.HL105.extra`: unknown option" in result.stderr
    (project / "pyproject.toml").write_text("[tool.hyperlint.rules.HL105]\nextend-keywords = 'x'\n")
    result = run("check", "train.py", cwd=project)
    assert result.returncode == 2 and "must be a list of strings" in result.stderr


def test_readme_lists_every_rule_and_its_quickstart_commands():
    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text()
    listing = run("rule", "--all").stdout.splitlines()[1:]
    assert listing and all(line.rstrip() in readme for line in listing)
    quickstart = readme.split("## Quickstart", 1)[1].split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()
    assert quickstart == ['pip install . && hyperlint check examples/', 'pip install -e ".[test]" && pytest']
    assert (repo / ".ci" / "run").read_text().strip().endswith('pip install -e ".[test]" && pytest')
