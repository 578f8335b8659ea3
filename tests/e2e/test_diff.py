"""`mlc diff`: a semantic diff of two mlc files or git revisions, in text, markdown and JSON."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli

CHURN = (EXAMPLES / "churn" / "mlc.yaml").read_text()
MINIMAL = (EXAMPLES / "minimal" / "mlc.yaml").read_text()


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


def diff_json(tmp_path: Path, base: str, head: str, *args: str) -> tuple[dict, int]:
    (tmp_path / "base.yaml").write_text(base)
    (tmp_path / "head.yaml").write_text(head)
    done = run_cli("diff", "base.yaml", "head.yaml", "--format", "json", *args, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout), done.returncode


def config(data: dict, profile: str | None = None) -> dict:
    return next(c for c in data["configurations"] if c["profile"] == profile)


def test_formatting_comments_and_defaults_are_not_changes(tmp_path) -> None:
    head = edit(MINIMAL, "project: {name: iris, version: 0.1.0}",
                "# a comment\nproject:\n  version: 0.1.0\n  name: iris")
    head = edit(head, "outputs: {model: {type: model}}",
                "outputs: {model: {type: model}}\n    retries: 0\n    needs: []")
    data, code = diff_json(tmp_path, MINIMAL, head, "--exit-code")
    assert code == 0 and data["changed"] is False and data["summary"] == "no changes"


def test_step_added_removed_and_edges(tmp_path) -> None:
    head = edit(MINIMAL, "  evaluate:\n", "  report:\n    image: python:3.12-slim\n"
                "    command: echo ${{ inputs.m }}\n    inputs: {m: \"${{ steps.train.outputs.model }}\"}\n\n"
                "  evaluate:\n")
    data, code = diff_json(tmp_path, MINIMAL, head, "--exit-code")
    base = config(data)
    assert code == 1 and data["changed"] is True
    assert base["steps"]["added"] == ["report"] and base["steps"]["removed"] == []
    assert base["edges"]["added"] == [["train", "report"]]
    back, _ = diff_json(tmp_path, head, MINIMAL)
    assert config(back)["steps"]["removed"] == ["report"]
    assert config(back)["edges"]["removed"] == [["train", "report"]]


def test_changed_fields_carry_both_values_category_and_line(tmp_path) -> None:
    head = edit(CHURN, "resources: {cpu: 2, memory: 8Gi}", "resources: {cpu: 4, memory: 8Gi}")
    head = edit(head, 'min: "${{ params.min_auc }}"', "min: 0.8")
    head = edit(head, "- set_weight: 25\n", "- set_weight: 20\n")
    data, _ = diff_json(tmp_path, CHURN, head)
    changed = config(data)["steps"]["changed"]
    cpu = changed["train"][0]
    assert cpu == {"path": "resources.cpu", "category": "resources", "before": 2, "after": 4,
                   "line": head.splitlines().index(
                       next(l for l in head.splitlines() if "cpu: 4" in l)) + 1}
    gate = changed["evaluate"][0]
    assert (gate["category"], gate["path"], gate["before"], gate["after"]) == \
        ("gates", "gates[0].min", "${{ params.min_auc }}", 0.8)
    weight = changed["release"][0]
    assert (weight["category"], weight["path"], weight["before"], weight["after"]) == \
        ("rollout", "strategy.canary.steps[3].set_weight", 25, 20)
    rollout = config(data)["rollout"][0]
    assert rollout["step"] == "release"
    assert "weight 25 -> pause 4h" in rollout["before"]
    assert "weight 20 -> pause 4h" in rollout["after"]


def test_fan_out_estimate_before_and_after(tmp_path) -> None:
    head = edit(CHURN, "max_partitions: 250", "max_partitions: 30")
    data, _ = diff_json(tmp_path, CHURN, head)
    fan = {f["step"]: f for f in config(data)["fan_out"]}
    assert fan["train"]["before"] == {"items": 250, "trials": 100, "tasks": 25000}
    assert fan["train"]["after"] == {"items": 30, "trials": 100, "tasks": 3000}
    assert fan["evaluate"]["after"]["tasks"] == 30


def test_schedule_and_settings(tmp_path) -> None:
    head = edit(CHURN, 'cron: "0 2 1 * *"', 'cron: "0 3 1 * *"')
    param = re.search(r"  min_auc: \{[^}]*default: ([0-9.]+)", CHURN)
    assert param
    head = edit(head, f"default: {param.group(1)}", "default: 0.75")
    data, _ = diff_json(tmp_path, CHURN, head)
    base = config(data)
    assert base["schedule"] == [{"path": "schedule.cron", "category": "schedule",
                                 "before": "0 2 1 * *", "after": "0 3 1 * *",
                                 "line": base["schedule"][0]["line"]}]
    assert [(s["path"], s["before"], s["after"]) for s in base["settings"]] == \
        [("params.min_auc.default", float(param.group(1)), 0.75)]


def test_profiles_report_only_their_own_changes(tmp_path) -> None:
    # A base change shows once (not under every profile); a dev-only change shows under dev.
    head = edit(CHURN, "max_parallel: 2000", "max_parallel: 1000")
    head = edit(head, "partition: {only: [DE, FR, \"NO\"], min_rows: 100}",
                "partition: {only: [DE, FR], min_rows: 100}")
    data, _ = diff_json(tmp_path, CHURN, head)
    assert [c["path"] for c in config(data)["steps"]["changed"]["train"]] == ["max_parallel"]
    dev = config(data, "dev")
    assert dev["status"] == "changed"
    assert "train" not in dev["steps"]["changed"]
    assert dev["steps"]["changed"]["features"][0]["path"] == "partition.only"
    fan = {f["step"]: (f["before"]["items"], f["after"]["items"]) for f in dev["fan_out"]}
    assert fan == {"train": (3, 2), "evaluate": (3, 2)}
    assert config(data, "staging")["status"] == "base"
    assert config(data, "prod")["status"] == "base"


def test_profile_added_and_removed(tmp_path) -> None:
    head = edit(CHURN, "  staging:\n", "  qa:\n    steps: {release: {endpoint: churn-qa}}\n"
                "  staging:\n")
    data, _ = diff_json(tmp_path, CHURN, head)
    assert config(data, "qa")["status"] == "added"
    back, _ = diff_json(tmp_path, head, CHURN)
    assert config(back, "qa")["status"] == "removed"


def test_markdown_is_a_pr_comment_with_a_styled_mermaid_graph(tmp_path) -> None:
    head = edit(MINIMAL, "  evaluate:\n", "  report:\n    image: python:3.12-slim\n"
                "    command: echo ${{ inputs.m }}\n    inputs: {m: \"${{ steps.train.outputs.model }}\"}\n\n"
                "  evaluate:\n")
    head = edit(head, "min: 0.9", "min: 0.95")
    (tmp_path / "base.yaml").write_text(MINIMAL)
    (tmp_path / "head.yaml").write_text(head)
    done = run_cli("diff", "base.yaml", "head.yaml", "--format", "markdown", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    md = done.stdout
    assert md.startswith("### mlc diff: `base.yaml` → `head.yaml`")
    block = re.search(r"```mermaid\n(.*?)```", md, re.S).group(1)
    assert block.startswith("flowchart TD")
    assert re.search(r"classDef added .*fill:", block) and re.search(r"classDef changed ", block)
    assert re.search(r"class s\d+ added", block) and re.search(r"class s\d+ changed", block)
    assert "==>" in block and "linkStyle" in block  # the new edge is drawn apart
    assert "| `evaluate` | gates | `gates[0].min`" in md and "| `0.9` | `0.95` |" in md
    removed = run_cli("diff", "head.yaml", "base.yaml", "--format", "markdown", cwd=tmp_path)
    block = re.search(r"```mermaid\n(.*?)```", removed.stdout, re.S).group(1)
    assert re.search(r"class s\d+ removed", block) and "-.->" in block


def test_text_output(tmp_path) -> None:
    head = edit(MINIMAL, "min: 0.9", "min: 0.95")
    (tmp_path / "base.yaml").write_text(MINIMAL)
    (tmp_path / "head.yaml").write_text(head)
    done = run_cli("diff", "base.yaml", "head.yaml", cwd=tmp_path)
    assert done.returncode == 0
    assert "~ step evaluate" in done.stdout
    assert "[gates] gates[0].min: 0.9 -> 0.95" in done.stdout
    assert done.stdout.rstrip().endswith("mlc: 1 step(s) changed")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_revisions(tmp_path) -> None:
    repo = tmp_path / "repo"
    (repo / "proj").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "proj" / "mlc.yaml").write_text(MINIMAL)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    (repo / "proj" / "mlc.yaml").write_text(edit(MINIMAL, "min: 0.9", "min: 0.95"))
    git(repo, "commit", "-q", "-am", "two")
    # From the root: repository-relative paths; HEAD~1 against the working tree and HEAD.
    done = run_cli("diff", "HEAD~1:proj/mlc.yaml", "proj/mlc.yaml", "--format", "json",
                   cwd=repo)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["base"] == "HEAD~1:proj/mlc.yaml" and data["changed"]
    assert run_cli("diff", "main~1:proj/mlc.yaml", "main:proj/mlc.yaml", "--exit-code",
                   cwd=repo).returncode == 1
    # From a subdirectory, a path relative to it works too.
    sub = run_cli("diff", "HEAD~1:mlc.yaml", "HEAD:mlc.yaml", "--exit-code", cwd=repo / "proj")
    assert sub.returncode == 1 and "gates[0].min" in sub.stdout
    same = run_cli("diff", "HEAD:proj/mlc.yaml", "proj/mlc.yaml", "--exit-code", cwd=repo)
    assert same.returncode == 0
    bad = run_cli("diff", "nosuchrev:proj/mlc.yaml", "proj/mlc.yaml", cwd=repo)
    assert bad.returncode == 2 and "nosuchrev" in bad.stderr and "Traceback" not in bad.stderr


def test_invalid_side_reports_diagnostics_and_missing_file_is_usage(tmp_path) -> None:
    (tmp_path / "base.yaml").write_text(MINIMAL)
    (tmp_path / "head.yaml").write_text(edit(MINIMAL, "gates:", "gatez:"))
    done = run_cli("diff", "base.yaml", "head.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ("mlc diff: HEAD (head.yaml) has 1 error; nothing to compare (the "
                           "diagnostics follow on stderr)\n")
    assert re.search(r"head\.yaml:\d+:\d+: error\[E101\]", done.stderr)
    for fmt, says in (("markdown", "`mlc validate head.yaml`"), ("json", '"status": "error"')):
        out = run_cli("diff", "base.yaml", "head.yaml", "--format", fmt, "--exit-code",
                      cwd=tmp_path)
        assert out.returncode == 1 and says in out.stdout
    assert json.loads(run_cli("diff", "base.yaml", "head.yaml", "--format", "json",
                              cwd=tmp_path).stdout)["errors"] == {"base": 0, "head": 1}
    missing = run_cli("diff", "base.yaml", "nope.yaml", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    fmt = run_cli("diff", "base.yaml", "base.yaml", "--format", "html", cwd=tmp_path)
    assert fmt.returncode == 2 and "unknown format" in fmt.stderr


def test_inserted_canary_step_is_one_addition(tmp_path) -> None:
    """Lists of maps are aligned by content: inserting a canary step lists that step as added,
    not every later step as changed."""
    head = edit(CHURN, "          - set_weight: 25\n",
                "          - set_weight: 10\n          - pause: {duration: 30m}\n"
                "          - set_weight: 25\n")
    data, _ = diff_json(tmp_path, CHURN, head)
    changes = config(data)["steps"]["changed"]["release"]
    assert [(c["path"], c["before"], c["after"]) for c in changes] == [
        ("strategy.canary.steps[3].set_weight", None, 10),
        ("strategy.canary.steps[4].pause.duration", None, "30m")]
    lines = head.splitlines()
    assert changes[0]["line"] == next(i for i, l in enumerate(lines) if "set_weight: 10" in l) + 1
    removed = run_cli("diff", "head.yaml", "base.yaml", "--format", "json", cwd=tmp_path)
    back = config(json.loads(removed.stdout))["steps"]["changed"]["release"]
    assert [(c["path"], c["before"], c["after"]) for c in back] == [
        ("strategy.canary.steps[3].set_weight", 10, None),
        ("strategy.canary.steps[4].pause.duration", "30m", None)]
