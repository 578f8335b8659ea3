"""`mlc init`: every template renders into a project that validates, compiles and runs with no
edits; the CI files it writes are valid GitHub Actions; the directory rules hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from mlc.scaffold import available, project_name
from mlc import __version__
from tests.conftest import EXAMPLES, ROOT, run_cli

# The templates' step code runs `python`: the interpreter of these tests, with its packages.
ENV = {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
TEMPLATES = sorted(available())
WHEELS = ROOT / ".cache" / "wheels"


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run([str(exe), "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True)


def test_templates_are_minimal_and_churn() -> None:
    assert {"minimal", "churn"} <= set(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES)
def test_new_project_validates_compiles_and_runs(tmp_path, template: str) -> None:
    project = tmp_path / "my-project"
    done = run_cli("init", str(project), "--template", template, env=ENV)
    assert done.returncode == 0, done.stderr
    assert f"from template {template} (project my-project" in done.stderr
    for rel in ("mlc.yaml", "README.md", "requirements.txt", ".gitignore",
                ".github/workflows/mlc.yml", ".pre-commit-config.yaml"):
        assert (project / rel).is_file(), rel
    assert not (project / "expected").exists() and not (project / ".mlc").exists()
    spec = yaml.safe_load((project / "mlc.yaml").read_text())
    assert spec["project"]["name"] == "my-project"

    assert run_cli("validate", cwd=project).returncode == 0
    # Every compile check the CI workflow runs passes on the fresh project (build/ written).
    workflow = yaml.safe_load((project / ".github/workflows/mlc.yml").read_text())
    steps = workflow["jobs"]["mlc"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert "mlc validate --format github" in runs
    checks = [r.split()[2:] for r in runs if r.startswith("mlc compile")]
    targets = set((spec.get("targets") or {}).keys())
    for profile in (spec.get("profiles") or {}).values():   # e.g. churn's kfp: kubeflow
        targets |= set((profile or {}).get("targets") or {})
    assert {c[c.index("--target") + 1] for c in checks} == set(targets)
    for args in checks:
        done = run_cli("compile", *args, cwd=project)
        assert done.returncode == 0, (args, done.stderr)
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    ids = [h["id"] for h in hooks["repos"][0]["hooks"]]
    assert ids[0] == "mlc-validate" and ids.count("mlc-compile-check") == len(checks)
    # Nothing generated needs mlc's repository: the released package, a local schema.
    assert hooks["repos"][0]["repo"] == "local"
    assert all(h["additional_dependencies"] == [f"mlc=={__version__}"]
               for h in hooks["repos"][0]["hooks"])
    assert f'pip install "mlc=={__version__}"' in runs
    text = (project / "mlc.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=./mlc.schema.json\n")
    assert (project / "mlc.schema.json").read_text() == run_cli("schema").stdout

    run_args = yaml.safe_load((ROOT / "templates" / template / "template.yaml").read_text())
    command = run_args.get("run", "mlc run").split()[2:]
    done = run_cli("run", *command, "--run-id", "first", cwd=project, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((project / ".mlc/runs/first/run.json").read_text())
    assert record["status"] == "succeeded"


@pytest.mark.parametrize("template", TEMPLATES)
def test_ci_files_are_valid_github_actions(tmp_path, template: str) -> None:
    project = tmp_path / "p"
    assert run_cli("init", str(project), "--template", template, "--no-data").returncode == 0
    done = check_jsonschema("vendor.github-workflows", project / ".github/workflows/mlc.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    workflow = (project / ".github/workflows/mlc.yml").read_text()
    for line in workflow.splitlines():  # GitHub's own advice: expressions only through env
        if "${{" in line:
            assert line.strip().startswith(("BASE_REF:",)), line


def test_action_yml_is_a_valid_composite_action() -> None:
    done = check_jsonschema("vendor.github-actions", ROOT / "action.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step  # inputs reach scripts as env only


def test_refuses_a_non_empty_directory_without_force(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    done = run_cli("init", str(tmp_path), "--name", "demo")
    assert done.returncode == 2 and "not empty (notes.txt)" in done.stderr
    assert "--force" in done.stderr and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    forced = run_cli("init", str(tmp_path), "--name", "demo", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine\n" and (tmp_path / "mlc.yaml").exists()


def test_bad_name_and_template_are_usage_errors(tmp_path) -> None:
    bad = run_cli("init", str(tmp_path / "a"), "--name", "My_Project")
    assert bad.returncode == 2 and "my-project" in bad.stderr
    unknown = run_cli("init", str(tmp_path / "b"), "--template", "nope")
    assert unknown.returncode == 2 and "templates: " in unknown.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    (tmp_path / "file").write_text("x")
    on_file = run_cli("init", str(tmp_path / "file"))
    assert on_file.returncode == 2 and "is a file" in on_file.stderr
    under_file = run_cli("init", str(tmp_path / "file" / "p"))
    assert under_file.returncode == 2 and "cannot write" in under_file.stderr
    assert "Traceback" not in on_file.stderr + under_file.stderr


def test_defaults_without_a_terminal(tmp_path) -> None:
    target = tmp_path / "Churn Model 2"
    done = run_cli("init", str(target))  # stdin is not a TTY here: no prompt, defaults
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load((target / "mlc.yaml").read_text())["project"]["name"] == \
        "churn-model-2"
    assert "Next:" in done.stderr and "mlc run" in done.stderr
    cd = next(line for line in done.stderr.splitlines() if line.strip().startswith("cd "))
    import shlex

    assert shlex.split(cd.strip())[1] == str(target)  # quoted: a path with spaces works


def test_prompts_on_a_terminal(tmp_path) -> None:
    """Through a pseudo-terminal, mlc asks for the template and the name."""
    import pty

    target = tmp_path / "asked"
    pid, fd = pty.fork()
    if pid == 0:  # the child: mlc with the pty as its terminal
        os.chdir(tmp_path)
        os.execv(sys.executable, [sys.executable, "-m", "mlc", "init", str(target)])
    transcript = b""
    answers = [(b"Template", b"churn\n"), (b"Project name", b"asked-by-tty\n")]
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        transcript += chunk
        if answers and answers[0][0] in transcript:
            os.write(fd, answers.pop(0)[1])
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, transcript.decode(errors="replace")
    assert not answers, transcript
    spec = yaml.safe_load((target / "mlc.yaml").read_text())
    assert spec["project"]["name"] == "asked-by-tty" and "profiles" in spec


def test_rendered_code_is_the_examples() -> None:
    """Templates start from the examples: nothing to keep in sync by hand."""
    for name, template in available().items():
        assert template.example.parent == EXAMPLES


@pytest.mark.parametrize("text, slug", [("My Project_2", "my-project-2"), ("42", "ml-42"),
                                        ("", "ml-project"), ("a" * 50, "a" * 40)])
def test_project_name_from_a_folder(text: str, slug: str) -> None:
    assert project_name(text) == slug


@pytest.mark.skipif(not (WHEELS / ".stamp").exists(), reason="needs make test's wheelhouse")
def test_the_wheel_carries_the_templates(tmp_path) -> None:
    """Built as users get it (offline, from the wheelhouse): templates and examples inside,
    goldens, run folders and dev data not; `mlc init` works from the unpacked wheel."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index",
                           "--find-links", str(WHEELS), "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("mlc-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "mlc/_data/templates/minimal/template.yaml" in names
    assert "mlc/_data/examples/churn/churn/train.py" in names
    assert not [n for n in names if "/expected/" in n or "/.mlc/" in n or "/data/dev/" in n]
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = ("import sys; site = sys.argv.pop(1); sys.path.insert(0, site); import mlc; "
            "assert mlc.__file__.startswith(site), mlc.__file__; "
            "from mlc.cli import main; sys.argv[0] = 'mlc'; main()")
    done = subprocess.run([sys.executable, "-c", code, str(unpacked), "init",
                           str(tmp_path / "proj"), "--template", "minimal"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "proj" / "train.py").read_bytes() == \
        (EXAMPLES / "minimal" / "train.py").read_bytes()
