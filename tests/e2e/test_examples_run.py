"""The shipped examples run end to end (SPEC 12): minimal on its CSVs, churn with --profile dev
on the synthetic DuckDB warehouse its script writes. Copies, so the repository stays clean."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import EXAMPLES, run_cli

# The examples' commands say `python`: the interpreter running these tests, with its packages.
ENV = {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}


def copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(".mlc", "data/dev",
                                                                          "expected"))
    return target


def test_minimal_runs(tmp_path) -> None:
    project = copy("minimal", tmp_path)
    done = run_cli("run", "--run-id", "demo", cwd=project, env=ENV)
    assert done.returncode == 0, done.stderr
    run_dir = project / ".mlc" / "runs" / "demo"
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "succeeded"
    gates = json.loads((run_dir / "steps" / "evaluate" / "gates.json").read_text())
    assert gates["passed"] and gates["gates"][0]["candidate"] >= 0.9
    assert (run_dir / "steps" / "train" / "outputs" / "model" / "model.pkl").is_file()


def test_churn_dev_runs(tmp_path) -> None:
    project = copy("churn", tmp_path)
    subprocess.run([sys.executable, "scripts/make_dev_data.py"], cwd=project, check=True,
                   capture_output=True)
    done = run_cli("run", "--profile", "dev", "--run-id", "demo", cwd=project, env=ENV)
    assert done.returncode == 0, done.stderr
    run_dir = project / ".mlc" / "runs" / "demo"
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "succeeded" and record["profile"] == "dev"
    assert record["steps"]["train"]["items"]["succeeded"] == 3
    partitions = json.loads((run_dir / "steps/features/outputs/partitions").read_text())
    assert partitions == ["DE", "FR", "NO"]
    for country in partitions:
        trials = list((run_dir / "steps/train" / f"country={country}" / "trials").iterdir())
        assert len(trials) == 4  # the dev sweep: random, max_total_trials 4
        gates = json.loads((run_dir / "steps/evaluate" / f"country={country}" /
                            "gates.json").read_text())
        assert gates["passed"]
    decision = json.loads((run_dir / "steps/release/decision.json").read_text())
    assert decision["proceed"] and len(decision["deployed_items"]) == 3
    manifests = list(yaml.safe_load_all((run_dir / "steps/release/manifests.yaml").read_text()))
    kinds = [m["kind"] for m in manifests if m]
    assert kinds == ["InferenceService"] * 3 + ["InferenceGraph"]
    plan = json.loads((run_dir / "steps/release/rollout-plan.json").read_text())
    assert plan["endpoint"] == "churn-scorer-dev" and plan["steps"] == [
        {"kind": "set_weight", "weight": 100}]
    again = run_cli("run", "--profile", "dev", "--run-id", "again", cwd=project, env=ENV)
    assert again.returncode == 0, again.stderr
    second = json.loads((project / ".mlc/runs/again/run.json").read_text())
    assert second["steps"]["features"]["status"] == "cached"
    assert second["steps"]["train"]["status"] == "cached"


def test_sagemaker_dev_runs(tmp_path) -> None:
    """The Step Functions example runs here with --profile dev: its sweep picks a C, its gate
    passes, and the deploy is rendered for KServe (the local server)."""
    project = copy("sagemaker", tmp_path)
    done = run_cli("run", "--profile", "dev", "--run-id", "demo", cwd=project, env=ENV)
    assert done.returncode == 0, done.stderr
    run_dir = project / ".mlc" / "runs" / "demo"
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "succeeded"
    best = json.loads((run_dir / "steps/train/outputs/best_params").read_text())
    assert best["c"] in (0.1, 1.0, 10.0)
    decision = json.loads((run_dir / "steps/release/decision.json").read_text())
    assert decision["proceed"]


def test_churn_base_needs_a_local_profile(tmp_path) -> None:
    done = run_cli("run", str(EXAMPLES / "churn" / "mlc.yaml"), "--run-id", "x", env=ENV)
    assert done.returncode == 1
    assert "error[E406]" in done.stderr and "help: mlc run --profile dev" in done.stderr


def test_minimal_runs_from_the_environment_mlc_runs_in(tmp_path) -> None:
    """Issue 13: `.venv/bin/mlc run` without the environment activated: `python` in the
    commands is the environment's (it has pandas), not the system's (SPEC 12)."""
    import sys

    if sys.prefix == sys.base_prefix:
        import pytest

        pytest.skip("the tests do not run in a virtual environment")
    project = copy("minimal", tmp_path)
    done = run_cli("run", "--run-id", "plain", cwd=project, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    log = (project / ".mlc" / "runs" / "plain" / "run.log").read_text()
    assert f"steps run with `python` = {os.path.dirname(sys.executable)}/python" in log
