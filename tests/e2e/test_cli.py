"""The CLI contract (SPEC 9.1): exit codes, streams, formats, usage and internal errors."""

from __future__ import annotations

import json
import sys

import pytest

from mlc import __version__
from tests.conftest import EXAMPLES, run_cli, write_project

MINIMAL = EXAMPLES / "minimal" / "mlc.yaml"
CHURN = EXAMPLES / "churn" / "mlc.yaml"


def test_examples_are_valid() -> None:
    for path in (MINIMAL, CHURN):
        done = run_cli("validate", str(path))
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""
        assert done.stderr.endswith("mlc: 0 errors, 0 warnings\n")


def test_dev_profile_runs_locally_while_base_reads_snowflake() -> None:
    assert run_cli("validate", str(CHURN), "--profile", "dev", "--target", "local").returncode == 0
    assert run_cli("validate", str(CHURN), "--target", "local").returncode == 1


def test_default_file_is_mlc_yaml_in_the_current_directory() -> None:
    assert run_cli("validate", cwd=CHURN.parent).returncode == 0


@pytest.mark.parametrize("args,fragment", [
    (["validate", "nope.yaml"], "nope.yaml: no such file"),
    (["validate", str(CHURN), "--profile", "qa"], "unknown profile 'qa' (profiles: dev, staging, prod, kfp)"),
    (["validate", str(CHURN), "--target", "airflow"], "unknown target 'airflow'"),
    (["validate", str(CHURN), "--frobnicate"], "No such option"),
    (["validate", str(CHURN), "--format", "xml"], "unknown format 'xml'"),
    (["validate", str(CHURN), "--max-file-size", "big"], "is not a size"),
    (["explain", "E999"], "unknown code 'E999'"),
    (["graph", str(CHURN), "--format", "png"], "unknown format 'png'"),
    (["validate", str(EXAMPLES)], "is a directory"),
])
def test_usage_errors_exit_2(args, fragment) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["validate"], ["run"], ["compile", "--target", "argo"]])
def test_no_mlc_yaml_here_says_where_it_looked_and_what_to_do(tmp_path, command) -> None:
    done = run_cli(*command, cwd=tmp_path)
    assert done.returncode == 2
    assert f"mlc.yaml: no such file in {tmp_path}" in done.stderr
    assert "mlc init" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_errors_exit_1_warnings_exit_0_unless_strict(tmp_path) -> None:
    write_project(tmp_path, {"mlc.yaml": "apiVersion: mlc/v1\nproject: {name: p, version: 1.0.0}\n"
                             "steps:\n  s: {image: 'python:latest', command: echo}\n"})
    done = run_cli("validate", "mlc.yaml", cwd=tmp_path)
    assert done.returncode == 0 and "warning[W910]" in done.stderr
    assert run_cli("validate", "mlc.yaml", "--strict", cwd=tmp_path).returncode == 1


def test_json_goes_to_stdout(tmp_path) -> None:
    write_project(tmp_path, {"mlc.yaml": CHURN.read_text().replace("max_parallel:", "max_paralell:", 1)})
    done = run_cli("validate", "mlc.yaml", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data == [{"file": "mlc.yaml", "line": 86, "col": 5, "severity": "error",
                     "code": "E101", "message": "unknown key 'max_paralell' in steps.train",
                     "profile": None, "target": None, "help": "did you mean 'max_parallel'?",
                     "notes": []}]


def test_output_format_environment_variable(tmp_path) -> None:
    done = run_cli("validate", str(MINIMAL), env={"MLC_OUTPUT_FORMAT": "json"})
    assert done.returncode == 0 and json.loads(done.stdout) == []


def test_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout == f"mlc {__version__}\n"


def test_help_lists_commands_with_examples() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("validate", "schema", "explain", "graph"):
        assert command in done.stdout
    assert "Examples:" in run_cli("validate", "--help").stdout


COMMANDS = ("validate", "compile", "run", "schema", "explain", "graph", "diff", "init")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_reads_as_written(command: str) -> None:
    """No typer internals (`<list[str]>`, `{CODE}`, `[[FILE]...]...`) and examples that keep
    their lines, at a narrow terminal too."""
    import re

    done = run_cli(command, "--help", env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert not re.search(r"<(list|str|int|bool|path)[^>]*>|\{[A-Z]+\}|\[\[", text), text
    lines = text.splitlines()
    if "Example" in text:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith("Example"))
        examples = []
        for line in lines[at + 1:]:
            if line.startswith(("Arguments:", "Options:")):
                break
            if line.strip():
                examples.append(line)
        assert examples and all(line.strip().startswith("mlc ") for line in examples), examples


def test_explain_takes_the_number_alone() -> None:
    done = run_cli("explain", "805")
    assert done.returncode == 0 and done.stdout.startswith("E805 ")
    assert run_cli("explain", "106").stdout.startswith("W106 ")
    missing = run_cli("explain", "999")
    assert missing.returncode == 2 and "unknown code '999'" in missing.stderr


def test_explain() -> None:
    done = run_cli("explain", "e202")
    assert done.returncode == 0
    assert done.stdout.startswith("E202 dangling-reference (error")
    for section in ("## What it catches", "## Why", "## Example", "## Fix"):
        assert section in done.stdout


def test_schema_command_prints_the_committed_schema() -> None:
    from tests.conftest import ROOT

    done = run_cli("schema")
    assert done.returncode == 0
    assert done.stdout == (ROOT / "schemas" / "mlc-v1.schema.json").read_text(encoding="utf-8")


def test_graph_mermaid_and_dot() -> None:
    mermaid = run_cli("graph", str(CHURN), "--format", "mermaid")
    assert mermaid.returncode == 0
    assert mermaid.stdout.splitlines()[0] == "flowchart TD"
    for edge in ("s_features --> s_train", "s_train --> s_evaluate", "s_evaluate --> s_release"):
        assert edge in mermaid.stdout
    dot = run_cli("graph", str(CHURN), "--format", "dot", "--profile", "dev")
    assert dot.returncode == 0 and dot.stdout.startswith('digraph "churn" {')
    assert '"features" -> "train";' in dot.stdout
    assert "country (3)" in dot.stdout  # dev: partition.only has 3 countries


def test_graph_of_an_invalid_file_reports_diagnostics(tmp_path) -> None:
    write_project(tmp_path, {"mlc.yaml": "apiVersion: mlc/v1\n"})
    done = run_cli("graph", "mlc.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "error[E104]" in done.stderr and done.stdout == ""


def test_internal_error_says_this_is_a_bug(tmp_path) -> None:
    script = ("import sys, mlc.api\n"
              "def boom(*a, **k): raise RuntimeError('kaboom')\n"
              "mlc.api.validate = boom\n"
              "sys.argv = ['mlc', 'validate', %r]\n"
              "from mlc.cli import main\nmain()\n" % str(MINIMAL))
    import subprocess

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 2
    first = done.stderr.splitlines()[0]
    assert "this is a bug" in first and __version__ in first


def test_hostile_input_writes_nothing_and_has_no_traceback(tmp_path) -> None:
    from tests.e2e.spec_examples import billion_laughs

    write_project(tmp_path, {"mlc.yaml": billion_laughs()})
    before = sorted(p.name for p in tmp_path.iterdir())
    done = run_cli("validate", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
