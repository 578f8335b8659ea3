"""`mlc run` (SPEC 12) with real processes: fan-out, sweeps, gates, retries, timeouts, caching,
failure, injection, secrets and interruption."""

from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_project

HEAD = "apiVersion: mlc/v1\nproject: {name: t, version: 1.0.0}\n"
IMG = "image: python:3.12-slim"


def run(tmp_path: Path, spec: str, *args: str, run_id: str = "r") -> tuple[subprocess.CompletedProcess, dict]:
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    done = run_cli("run", "mlc.yaml", "--run-id", run_id, *args, cwd=tmp_path)
    record_path = tmp_path / ".mlc" / "runs" / run_id / "run.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    return done, record


def steps(tmp_path: Path, run_id: str = "r") -> Path:
    return tmp_path / ".mlc" / "runs" / run_id / "steps"


def test_fan_out_counts_and_item_keys(tmp_path) -> None:
    spec = f"""params:
  sizes: {{type: list, default: [1, 2], max_items: 5}}
steps:
  s:
    {IMG}
    command: echo "$MLC_FOREACH_NAME/$MLC_FOREACH_SIZE" > ${{{{ outputs.o }}}}
    foreach:
      name: [plain, "a b", .hidden]
      size: ${{{{ params.sizes }}}}
    outputs: {{o: {{type: file}}}}
"""
    done, record = run(tmp_path, spec)
    assert done.returncode == 0, done.stderr
    assert record["steps"]["s"]["items"] == {"total": 6, "succeeded": 6, "failed": 0,
                                             "skipped": 0, "cached": 0}
    keys = sorted(str(p.relative_to(steps(tmp_path) / "s")) for p in
                  (steps(tmp_path) / "s").glob("name=*/size=*"))
    assert keys == ["name=%2Ehidden/size=1", "name=%2Ehidden/size=2", "name=a%20b/size=1",
                    "name=a%20b/size=2", "name=plain/size=1", "name=plain/size=2"]
    out = steps(tmp_path) / "s" / "name=a%20b" / "size=2" / "outputs" / "o"
    assert out.read_text() == "a b/2\n"
    config = json.loads((out.parent.parent / "config.json").read_text())
    assert config["item"] == {"name": "a b", "size": 2} and config["target"] == "local"


def test_concurrency_caps_and_dependency_order(tmp_path) -> None:
    """--parallel bounds all tasks, max_parallel one step's; a step starts only after every
    task of the steps it needs has ended."""
    def step(name: str, items: int, needs: list[str], cap: int | None = None) -> str:
        check = "".join(f"test -e done/{n} && " for n in needs)
        return f"""  {name}:
    {IMG}
    command: >-
      {check}mkdir -p running/all running/{name} done &&
      d=$(mktemp -d running/all/x.XXXXXX) && e=$(mktemp -d running/{name}/x.XXXXXX) &&
      ls running/all | wc -l >> counts-all && ls running/{name} | wc -l >> counts-{name} &&
      sleep 0.2 && rmdir $d $e && touch done/{name}-$MLC_FOREACH_I
    foreach: {{i: {list(range(items))}}}
    cache: false
""" + (f"    max_parallel: {cap}\n" if cap else "") + (f"    needs: {needs}\n" if needs else "")

    spec = "steps:\n" + step("a", 6, []) + step("b", 5, ["a"], cap=1) + \
        step("c", 4, ["a"]) + step("d", 3, ["b", "c"])
    # `done/<step>` exists once every task of the step has ended: the last item of each
    spec = spec.replace("test -e done/a", "test $(ls done | grep -c '^a-') -eq 6")
    spec = spec.replace("test -e done/b", "test $(ls done | grep -c '^b-') -eq 5")
    spec = spec.replace("test -e done/c", "test $(ls done | grep -c '^c-') -eq 4")
    done, record = run(tmp_path, spec, "--parallel", "3")
    assert done.returncode == 0, done.stderr
    assert {n: s["status"] for n, s in record["steps"].items()} == dict.fromkeys("abcd",
                                                                              "succeeded")

    def peak(name: str) -> int:
        return max(int(n) for n in (tmp_path / f"counts-{name}").read_text().split())

    assert peak("all") <= 3 and peak("b") == 1 and peak("a") >= 2


def test_live_view_on_a_terminal(tmp_path) -> None:
    """On a terminal the progress is rich's live table (columns, the running item), then the
    summary; the run is the same."""
    import pty

    spec = f"""steps:
  s:
    {IMG}
    command: sleep 0.05
    foreach: {{i: {list(range(40))}}}
    cache: false
  broken:
    {IMG}
    command: echo "the reason" >&2; exit 3
    needs: [s]
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    pid, fd = pty.fork()
    if pid == 0:  # the child: mlc with the pty as its terminal
        os.chdir(tmp_path)
        os.execv(sys.executable, [sys.executable, "-m", "mlc", "run", "--run-id", "r",
                                  "--parallel", "4"])
    transcript = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        transcript += chunk
    _, status = os.waitpid(pid, 0)
    text = transcript.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 1, text
    assert all(column in text for column in ("step", "status", "running", "cached", "current"))
    assert "i=" in text  # the current item
    assert "broken: FAILED after 1 attempt(s): exit code 3" in text and "the reason" in text
    assert "run r: failed (step_failed)" in text


def test_sweep_best_trial_and_ties(tmp_path) -> None:
    spec = f"""steps:
  s:
    {IMG}
    command: 'echo "{{\\"m\\": $MLC_TRIAL_A}}" > ${{{{ outputs.metrics }}}}'
    outputs: {{metrics: {{type: metrics}}}}
    sweep:
      sampling_algorithm: grid
      search_space:
        a: {{type: choice, values: [1, 3, 2]}}
        b: {{type: choice, values: [x, y]}}
      objective: {{primary_metric: m, goal: maximize}}
"""
    done, record = run(tmp_path, spec)
    assert done.returncode == 0, done.stderr
    outputs = steps(tmp_path) / "s" / "outputs"
    # trials: (1,x) (1,y) (3,x) (3,y) (2,x) (2,y); a=3 wins, tied between 2 and 3: lowest index
    assert json.loads((outputs / "best_params").read_text()) == {"a": 3, "b": "x"}
    trials = json.loads((outputs / "trials").read_text())
    assert [t["index"] for t in trials] == [0, 1, 2, 3, 4, 5]
    assert trials[3] == {"index": 3, "values": {"a": 3, "b": "y"}, "metrics": {"m": 3}}
    assert json.loads((outputs / "metrics").read_text()) == {"m": 3}
    assert record["steps"]["s"]["items"]["succeeded"] == 1


def _evaluate(metrics: str, gates: str, deploy: str = "") -> str:
    return f"""steps:
  train:
    {IMG}
    command: echo model > ${{{{ outputs.model }}}}/m && echo data > ${{{{ outputs.test }}}}/d
    outputs: {{model: {{type: model}}, test: {{type: dataset}}}}
  evaluate:
    type: evaluate
    {IMG}
    command: |
      echo '{metrics}' > "$MLC_OUTPUT_METRICS"
    model: ${{{{ steps.train.outputs.model }}}}
    baseline: "models:/x@production"
    datasets: {{test: "${{{{ steps.train.outputs.test }}}}"}}
    metrics: [acc]
    gates: {gates}
{deploy}"""


PASS = '{"candidate": {"test": {"acc": 0.9}}}'


@pytest.mark.parametrize("gates,code,status", [
    ("[{metric: acc, dataset: test, min: 0.8}]", 0, "pass"),
    ("[{metric: acc, dataset: test, min: 0.95}]", 1, "fail"),
    ("[{metric: acc, dataset: test, min_absolute_change: 0.0}]", 0, "skipped"),
])
def test_gates(tmp_path, gates: str, code: int, status: str) -> None:
    done, record = run(tmp_path, _evaluate(PASS, gates))
    assert done.returncode == code, done.stderr
    decision = json.loads((steps(tmp_path) / "evaluate" / "gates.json").read_text())
    assert decision["gates"][0]["status"] == status
    assert decision["passed"] == (status != "fail")
    assert record["reason"] == (None if code == 0 else "gate")


def test_gate_blocks_a_deploy(tmp_path) -> None:
    deploy = """  release:
    type: deploy
    model: ${{ steps.train.outputs.model }}
    gate: ${{ steps.evaluate.outputs.passed }}
    model_format: sklearn
    endpoint: demo
"""
    done, record = run(tmp_path, _evaluate(PASS, "[{metric: acc, dataset: test, min: 0.95}]",
                                           deploy))
    assert done.returncode == 1 and record["reason"] == "gate"
    assert record["steps"]["release"]["status"] == "skipped"
    decision = json.loads((steps(tmp_path) / "release" / "decision.json").read_text())
    assert decision == {"items": 1, "passed": 0, "pass_rate": 0.0, "min_pass_rate": 1.0,
                        "proceed": False, "deployed_items": []}
    assert "blocked" in done.stderr


def test_metrics_contract_is_an_attempt_failure(tmp_path) -> None:
    done, record = run(tmp_path, _evaluate('{"candidate": {"test": {"acc": true}}}',
                                           "[{metric: acc, dataset: test, min: 0.8}]"))
    assert done.returncode == 1 and record["reason"] == "step_failed"
    assert "must be a finite number" in done.stderr
    assert "gate: not evaluated (the step failed before its gates ran)" in done.stderr
    assert "item(s) passed" not in done.stderr


def test_a_failed_gate_says_which_item_and_by_how_much(tmp_path) -> None:
    """Issue 13: the summary and run.log name the item, the gate and the values."""
    metrics = '{"candidate": {"test": {"acc": 0.9}}, "baseline": {"test": {"acc": 0.93}}}'
    spec = _evaluate(metrics, "[{metric: acc, dataset: test, min: 0.95}, "
                              "{metric: acc, dataset: test, min_absolute_change: 0.0}]")
    spec = spec.replace("  evaluate:\n    type: evaluate\n",
                        "  evaluate:\n    type: evaluate\n    foreach: {c: [DE, FR]}\n")
    spec = spec.replace('"models:/x@production"', '"models:/x-${{ foreach.c }}@production"')
    done, record = run(tmp_path, spec)
    assert done.returncode == 1 and record["reason"] == "gate", done.stderr
    assert "gate: 0/2 item(s) passed" in done.stderr
    want = ("c=DE: acc on test 0.9, needs >= 0.95; acc on test 0.9 against baseline 0.93, "
            "needs min_absolute_change 0")
    assert want in done.stderr
    log = (tmp_path / ".mlc" / "runs" / "r" / "run.log").read_text()
    assert "evaluate c=FR: gate failed: acc on test 0.9, needs >= 0.95" in log


def test_flaky_step_succeeds_on_third_attempt(tmp_path) -> None:
    spec = f"""steps:
  flaky:
    {IMG}
    command: n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; test $n -ge 3
    retries: {{limit: 2, backoff: {{duration: 1s, factor: 1}}}}
"""
    start = time.monotonic()
    done, record = run(tmp_path, spec)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "count").read_text().strip() == "3"
    assert time.monotonic() - start >= 2  # two backoff delays of 1 s
    log = (tmp_path / ".mlc" / "runs" / "r" / "run.log").read_text()
    assert "retry 1 of 2" in log and "retry 2 of 2" in log
    assert (steps(tmp_path) / "flaky" / "stdout.log").read_text().count("--- mlc: attempt") == 3


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and \
        Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_timeout_kills_the_step_and_its_children(tmp_path) -> None:
    spec = f"""steps:
  slow:
    {IMG}
    command: sleep 300 & echo $! > child.pid; sleep 300
    timeout: 1s
"""
    start = time.monotonic()
    done, record = run(tmp_path, spec)
    assert done.returncode == 1 and record["reason"] == "step_failed"
    assert time.monotonic() - start < 30
    assert "timed out after 1s" in done.stderr
    child = int((tmp_path / "child.pid").read_text())
    time.sleep(0.2)
    assert not _alive(child)


CACHED = """params:
  p1: {type: string, default: one}
  p2: {type: string, default: two}
steps:
  a:
    image: python:3.12-slim
    command: echo ${{ params.p1 }} | cut -c1-1 > ${{ outputs.o }}/v
    outputs: {o: {type: dataset}}
  b:
    image: python:3.12-slim
    command: cat ${{ inputs.o }}/v > ${{ outputs.r }}
    inputs: {o: "${{ steps.a.outputs.o }}"}
    outputs: {r: {type: file}}
  c:
    image: python:3.12-slim
    command: echo ${{ params.p2 }} > ${{ outputs.r }}
    outputs: {r: {type: file}}
"""


def _statuses(record: dict) -> dict[str, str]:
    return {name: step["status"] for name, step in record["steps"].items()}


def test_cache_hit_miss_and_invalidation(tmp_path) -> None:
    _, first = run(tmp_path, CACHED, run_id="r1")
    assert _statuses(first) == {"a": "succeeded", "b": "succeeded", "c": "succeeded"}
    _, again = run(tmp_path, CACHED, run_id="r2")
    assert _statuses(again) == {"a": "cached", "b": "cached", "c": "cached"}
    _, p2 = run(tmp_path, CACHED, "--param", "p2=changed", run_id="r3")
    assert _statuses(p2) == {"a": "cached", "b": "cached", "c": "succeeded"}
    # p1 changes a's run, but its output (the first letter) is the same: b stays cached
    _, p1 = run(tmp_path, CACHED, "--param", "p1=other", run_id="r4")
    assert _statuses(p1) == {"a": "succeeded", "b": "cached", "c": "cached"}
    _, p1b = run(tmp_path, CACHED, "--param", "p1=xyz", run_id="r5")
    assert _statuses(p1b) == {"a": "succeeded", "b": "succeeded", "c": "cached"}
    _, forced = run(tmp_path, CACHED, "--no-cache", run_id="r6")
    assert _statuses(forced) == {"a": "succeeded", "b": "succeeded", "c": "succeeded"}
    assert (steps(tmp_path, "r5") / "b" / "outputs" / "r").read_text() == "x\n"


def test_failure_stops_new_work(tmp_path) -> None:
    spec = f"""steps:
  s:
    {IMG}
    command: test "$MLC_FOREACH_I" != 2
    foreach: {{i: [1, 2, 3, 4, 5, 6]}}
    max_parallel: 1
  after:
    {IMG}
    command: "true"
    needs: [s]
"""
    done, record = run(tmp_path, spec)
    assert done.returncode == 1 and record["reason"] == "step_failed"
    assert record["steps"]["s"]["items"] == {"total": 6, "succeeded": 1, "failed": 1,
                                             "skipped": 4, "cached": 0}
    assert record["steps"]["after"]["status"] == "skipped"
    ran = sorted(p.name for p in (steps(tmp_path) / "s").iterdir())
    assert ran == ["i=1", "i=2"]


HOSTILE = ["$(touch pwned1)", "`touch pwned2`", '"; touch pwned3; "', "a'b\nc", "{{x}}z"]


def test_values_are_never_executed(tmp_path) -> None:
    values = json.dumps(HOSTILE[:4])
    spec = f"""params:
  p: {{type: string, default: {json.dumps(HOSTILE[0])}}}
steps:
  s:
    {IMG}
    command: |
      printf '%s|%s|%s' ${{{{ params.p }}}} "${{{{ foreach.v }}}}" '${{{{ search_space.t }}}}' > ${{{{ outputs.metrics }}}}.txt; echo '{{"m": 1}}' > ${{{{ outputs.metrics }}}}
    foreach: {{v: {values}}}
    outputs: {{metrics: {{type: metrics}}}}
    sweep:
      sampling_algorithm: grid
      search_space: {{t: {{type: choice, values: {values}}}}}
      objective: {{primary_metric: m, goal: maximize}}
"""
    done, record = run(tmp_path, spec, "--param", f"p={HOSTILE[4]}")
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob("pwned*"))
    written = sorted(p.read_text() for p in steps(tmp_path).rglob("trials/*/outputs/metrics.txt"))
    assert len(written) == 16
    assert f"{HOSTILE[4]}|{HOSTILE[1]}|{HOSTILE[2]}" in written


def test_secrets_are_masked_and_required(tmp_path) -> None:
    secret = "s3cr3t-VALUE-4711"
    (tmp_path / "secrets" / "db-creds").mkdir(parents=True)
    (tmp_path / "secrets" / "db-creds" / "password").write_text(secret + "\n")
    spec = f"""secrets:
  db: db-creds
steps:
  s:
    {IMG}
    command: echo "pw=$DB_PASSWORD" && echo "err $DB_PASSWORD" >&2
    env: {{DB_PASSWORD: "${{{{ secrets.db.password }}}}"}}
"""
    done, _ = run(tmp_path, spec, "--secrets-dir", str(tmp_path / "secrets"))
    assert done.returncode == 0, done.stderr
    run_dir = tmp_path / ".mlc" / "runs" / "r"
    texts = [p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file()]
    assert texts and not any(secret in t for t in texts)
    assert "pw=***" in (run_dir / "steps" / "s" / "stdout.log").read_text()
    assert "err ***" in (run_dir / "steps" / "s" / "stderr.log").read_text()
    assert secret not in done.stdout + done.stderr
    missing, record = run(tmp_path, spec, "--secrets-dir", str(tmp_path / "none"), run_id="r2")
    assert missing.returncode == 1 and "secret key db-creds/password not found" in missing.stderr
    assert not (steps(tmp_path, "r2") / "s" / "stdout.log").exists()  # never started


def signalled_run(tmp_path: Path, spec: str, sig: int) -> tuple[int, str]:
    """`mlc run` as a real process, sent `sig` once its step has written `started`."""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    proc = subprocess.Popen([sys.executable, "-m", "mlc", "run", "--run-id", "r"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "started").exists()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def test_interrupt_leaves_no_process(tmp_path) -> None:
    spec = f"""steps:
  slow:
    {IMG}
    command: sleep 300 & echo $! > child.pid; echo started > started; wait
"""
    code, err = signalled_run(tmp_path, spec, signal.SIGINT)
    assert code == 130, err
    record = json.loads((tmp_path / ".mlc" / "runs" / "r" / "run.json").read_text())
    assert record["status"] == "failed" and record["reason"] == "interrupted"
    assert record["steps"]["slow"]["items"] == {"total": 1, "succeeded": 0, "failed": 0,
                                                "skipped": 1, "cached": 0}
    child = int((tmp_path / "child.pid").read_text())
    time.sleep(0.2)
    assert not _alive(child)


def test_a_killed_run_leaves_nothing_a_later_run_trusts(tmp_path) -> None:
    """mlc killed outright (SIGKILL: no clean-up) while a step has written half its output: the
    next run runs the step again instead of taking that half from the cache."""
    spec = f"""steps:
  make:
    {IMG}
    command: >-
      echo half > ${{{{ outputs.o }}}};
      if [ ! -e go ]; then echo $$ > child.pid; echo started > started; sleep 300; fi;
      echo whole > ${{{{ outputs.o }}}}
    outputs: {{o: {{type: file}}}}
  use:
    {IMG}
    command: cp ${{{{ inputs.o }}}} used
    inputs: {{o: "${{{{ steps.make.outputs.o }}}}"}}
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    proc = subprocess.Popen([sys.executable, "-m", "mlc", "run", "--run-id", "k"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "started").exists()
    proc.kill()
    proc.wait(timeout=30)
    os.killpg(int((tmp_path / "child.pid").read_text()), signal.SIGKILL)  # its own session
    (tmp_path / "go").write_text("")
    done = run_cli("run", "--run-id", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / ".mlc" / "runs" / "r" / "run.json").read_text())
    assert record["steps"]["make"]["items"]["cached"] == 0
    assert record["steps"]["make"]["items"]["succeeded"] == 1
    assert (tmp_path / "used").read_text() == "whole\n"


def test_a_second_interrupt_kills_at_once(tmp_path) -> None:
    """A step that ignores SIGTERM would get SIGKILL after 10 s; a second Ctrl-C does not wait."""
    spec = f"""steps:
  stubborn:
    {IMG}
    command: trap '' TERM; sleep 300 & echo $! > child.pid; echo started > started; wait
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    proc = subprocess.Popen([sys.executable, "-m", "mlc", "run", "--run-id", "r"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert proc.poll() is None  # still waiting for the group to end
    second = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - second < 5
    time.sleep(0.2)
    assert not _alive(int((tmp_path / "child.pid").read_text()))


def test_an_interrupt_ends_a_retry_backoff(tmp_path) -> None:
    spec = f"""steps:
  failing:
    {IMG}
    command: exit 1
    retries: {{limit: 1, backoff: {{duration: 5m}}}}
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    proc = subprocess.Popen([sys.executable, "-m", "mlc", "run", "--run-id", "r"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / ".mlc" / "runs" / "r" / "run.log"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (log.exists() and "retry 1 of 1" in log.read_text()):
        time.sleep(0.05)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - start < 5
    record = json.loads((tmp_path / ".mlc" / "runs" / "r" / "run.json").read_text())
    assert record["reason"] == "interrupted"


def test_environment_is_the_callers_minus_mlc(tmp_path) -> None:
    spec = f"""steps:
  s:
    {IMG}
    command: env > ${{{{ outputs.env }}}}
    outputs: {{env: {{type: file}}}}
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    done = run_cli("run", "--run-id", "r", cwd=tmp_path,
                   env={"MLC_PARAM_EVIL": "x", "CALLER_VAR": "kept"})
    assert done.returncode == 0, done.stderr
    env = dict(line.split("=", 1) for line in (steps(tmp_path) / "s" / "outputs" / "env")
               .read_text().splitlines() if "=" in line)
    assert env["CALLER_VAR"] == "kept" and "MLC_PARAM_EVIL" not in env
    assert env["MLC_RUN_ID"] == "r" and env["MLC_STEP_CONFIG"].endswith("config.json")
    assert Path(env["MLC_STEP_CONFIG"]).is_absolute()


@pytest.mark.parametrize("args,fragment", [
    (["--param", "nope"], "is not NAME=VALUE"),
    (["--param", "x=1"], "unknown param 'x'"),
    (["--run-id", "-bad"], "--run-id '-bad' must match"),
    (["--parallel", "0"], "--parallel must be at least 1"),
])
def test_usage_errors(tmp_path, args, fragment) -> None:
    write_project(tmp_path, {"mlc.yaml": HEAD + f"steps:\n  s: {{{IMG}, command: 'true'}}\n"})
    done = run_cli("run", *args, cwd=tmp_path)
    assert done.returncode == 2 and fragment in done.stderr
    assert not (tmp_path / ".mlc").exists()


@pytest.mark.parametrize("in_the_way", [".mlc", ".mlc/runs", ".mlc/cache"])
def test_a_file_where_mlc_keeps_runs_is_a_usage_error(tmp_path, in_the_way: str) -> None:
    write_project(tmp_path, {"mlc.yaml": HEAD + f"steps:\n  s:\n    {IMG}\n    command: 'true'\n"})
    (tmp_path / in_the_way).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / in_the_way).write_text("")
    done = run_cli("run", "mlc.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "a file is in the way" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_task_the_machine_stops_fails_with_the_reason(tmp_path) -> None:
    """Not mlc's bug, so not "internal error": the first attempt leaves a dangling symbolic
    link where the next attempt's outputs folder goes."""
    spec = f"""steps:
  s:
    {IMG}
    command: >-
      p=$(dirname ${{{{ outputs.o }}}}); rm -rf "$p"; ln -s "$p.gone" "$p"; exit 1
    outputs: {{o: {{type: dir}}}}
    retries: 1
"""
    done, record = run(tmp_path, spec)
    assert done.returncode == 1 and record["reason"] == "step_failed", done.stderr
    assert "File exists" in done.stderr and "internal error" not in done.stderr


def test_typed_params(tmp_path) -> None:
    spec = f"""params:
  n: {{type: integer, default: 1}}
steps:
  s: {{{IMG}, command: 'test ${{{{ params.n }}}} = 7'}}
"""
    done, record = run(tmp_path, spec, "--param", "n=7")
    assert done.returncode == 0 and record["params"] == {"n": 7}
    bad = run_cli("run", "--param", "n=seven", "--run-id", "b", cwd=tmp_path)
    assert bad.returncode == 2 and "not a valid integer" in bad.stderr


def test_failure_excerpt_has_no_empty_lines(tmp_path) -> None:
    spec = f"""steps:
  s:
    {IMG}
    command: "printf 'one\\n\\n\\ntwo\\n\\n' >&2; exit 3"
"""
    done, record = run(tmp_path, spec)
    assert done.returncode == 1
    excerpt = [line for line in done.stderr.splitlines() if line.startswith("    |")]
    assert excerpt == ["    | one", "    | two"], done.stderr


def test_a_consumer_cannot_change_a_cache_entry(tmp_path) -> None:
    """Issue 13: `a` is restored from the cache on every rerun; `b` appends into the input it
    reads. The entry must stay as `a` wrote it, so `b` sees one TAMPERED each time."""
    spec = f"""steps:
  a:
    {IMG}
    command: printf 'original|' > ${{{{ outputs.o }}}}
    outputs: {{o: {{type: file}}}}
  b:
    {IMG}
    command: printf 'TAMPERED|' >> ${{{{ inputs.o }}}}; cat ${{{{ inputs.o }}}}
    inputs: {{o: "${{{{ steps.a.outputs.o }}}}"}}
    cache: false
"""
    for n in range(3):
        done, record = run(tmp_path, spec, run_id=f"r{n}")
        assert done.returncode == 0, done.stderr
        assert (steps(tmp_path, f"r{n}") / "b" / "stdout.log").read_text() == \
            "original|TAMPERED|"
        assert record["steps"]["a"]["status"] == ("succeeded" if n == 0 else "cached")


@pytest.mark.parametrize("param,says", [
    ('xs=[1, "1"]', "duplicate item"), ("min_recall=NaN", "not a valid number"),
    ("min_recall=1e400", "not a valid number"), ("xs=[1, NaN]", "not a valid list"),
])
def test_duplicate_items_and_non_finite_values_are_usage_errors(tmp_path, param, says) -> None:
    """Issue 13: `1` and `"1"` would share the folder `x=1`; NaN is not JSON (SPEC 6.4)."""
    spec = f"""params:
  xs: {{type: list, default: [a], max_items: 10}}
  min_recall: {{type: number, default: 0.5}}
steps:
  s:
    {IMG}
    command: "echo ${{{{ foreach.x }}}} ${{{{ params.min_recall }}}}"
    foreach: {{x: "${{{{ params.xs }}}}"}}
"""
    done, record = run(tmp_path, spec, "--param", param)
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert not (tmp_path / ".mlc" / "runs" / "r").exists()


def test_a_list_output_with_duplicate_items_fails_the_fan_out(tmp_path) -> None:
    spec = f"""steps:
  list:
    {IMG}
    command: echo '[1, "1"]' > ${{{{ outputs.xs }}}}
    outputs: {{xs: {{type: list, max_items: 5}}}}
  s:
    {IMG}
    command: echo ${{{{ foreach.x }}}}
    foreach: {{x: "${{{{ steps.list.outputs.xs }}}}"}}
"""
    done, record = run(tmp_path, spec)
    assert done.returncode == 1 and record["steps"]["s"]["status"] == "failed"
    assert "duplicate item" in done.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_the_run_as_ctrl_c_does(tmp_path, sig) -> None:
    """Issue 13: a CI cancel or `docker stop` (SIGTERM), a closed terminal (SIGHUP): no task
    is orphaned, run.json says interrupted, exit 128 + the signal's number (SPEC 12)."""
    spec = f"""steps:
  slow:
    {IMG}
    command: sleep 300 & echo $! > child.pid; echo started > started; wait
  after:
    {IMG}
    command: echo never
    needs: [slow]
"""
    code, err = signalled_run(tmp_path, spec, sig)
    assert code == 128 + sig, err
    record = json.loads((tmp_path / ".mlc" / "runs" / "r" / "run.json").read_text())
    assert record["status"] == "failed" and record["reason"] == "interrupted"
    assert record["steps"]["after"]["status"] == "skipped"
    child = int((tmp_path / "child.pid").read_text())
    time.sleep(0.2)
    assert not _alive(child)
    assert "Traceback" not in err


@pytest.mark.parametrize("with_secret", [False, True], ids=["plain", "masked"])
def test_background_processes_end_with_their_task(tmp_path, with_secret) -> None:
    """Issue 13: a task that leaves `sleep 60 &` running neither delays the run (masked logs
    read through pipes the sleep holds) nor outlives it."""
    env = '    env: {TOKEN: "${{ secrets.api.token }}"}\n' if with_secret else ""
    secrets = "secrets: {api: api-creds}\n" if with_secret else ""
    spec = secrets + f"""steps:
  bg:
    {IMG}
    command: sleep 60 & echo $! > child.pid; echo done
{env}"""
    (tmp_path / "secrets" / "api-creds").mkdir(parents=True)
    (tmp_path / "secrets" / "api-creds" / "token").write_text("s3cr3t-value")
    start = time.monotonic()
    done, record = run(tmp_path, spec, "--secrets-dir", str(tmp_path / "secrets"))
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    assert took < 30, f"the run waited {took:.1f}s for a background process"
    child = int((tmp_path / "child.pid").read_text())
    time.sleep(0.2)
    assert not _alive(child)


def test_two_runs_with_the_same_run_id_at_once(tmp_path) -> None:
    """Issue 13: one run gets the id, the other a usage error (exit 2), never a traceback."""
    spec = f"""steps:
  s:
    {IMG}
    command: sleep 1
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    procs = [subprocess.Popen([sys.executable, "-m", "mlc", "run", "--run-id", "same"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2, 2, 2], results
    for code, err in results:
        assert "Traceback" not in err
        if code == 2:
            assert "run id 'same' was already used" in err


def test_progress_without_a_terminal_is_never_silent(tmp_path) -> None:
    """Issue 13: in CI logs a long fan-out prints a progress line at least every interval
    (10 s; 0.5 s here), with trial counts where there is a sweep."""
    spec = f"""steps:
  s:
    {IMG}
    command: "sleep 0.2; echo ${{{{ search_space.lr }}}} ${{{{ foreach.i }}}} > ${{{{ outputs.m }}}}; echo '{{\\"auc\\": 1}}' > ${{{{ outputs.m }}}}"
    foreach: {{i: [{', '.join(str(i) for i in range(30))}]}}
    outputs: {{m: {{type: metrics}}}}
    sweep:
      sampling_algorithm: grid
      search_space: {{lr: {{type: choice, values: [0.1, 0.2]}}}}
      objective: {{primary_metric: auc, goal: maximize}}
    cache: false
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    done = run_cli("run", "--run-id", "r", "--parallel", "2", cwd=tmp_path,
                   env={"MLC_PROGRESS_EVERY": "0.5"})
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if "item(s) done" in line]
    assert len(progress) >= 3, done.stderr
    assert re.search(r"s: \d+/30 item\(s\) done, \d+/60 trial\(s\) done \(0 cached, 0 failed\), "
                     r"\d running", progress[0]), progress[0]


def test_editing_step_code_invalidates_the_cache(tmp_path) -> None:
    """Issue 13: files the command names by relative path, and cache.include globs, are in
    the key (SPEC 6.7)."""
    spec = f"""steps:
  s:
    {IMG}
    command: python3 work.py > ${{{{ outputs.o }}}}
    outputs: {{o: {{type: file}}}}
  t:
    {IMG}
    command: python3 -c 'import lib.helper' > ${{{{ outputs.o }}}}
    outputs: {{o: {{type: file}}}}
    cache: {{include: ["lib/**/*.py"]}}
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec, "work.py": "print(1)\n",
                             "lib/__init__.py": "", "lib/helper.py": "X = 1\n"})
    status = {}
    for n, edit in enumerate([None, None, ("work.py", "print(2)\n"),
                              ("lib/helper.py", "X = 2\n")]):
        if edit:
            (tmp_path / edit[0]).write_text(edit[1])
        done, record = run(tmp_path, spec, run_id=f"r{n}")
        assert done.returncode == 0, done.stderr
        status[n] = (record["steps"]["s"]["status"], record["steps"]["t"]["status"])
    assert status == {0: ("succeeded", "succeeded"), 1: ("cached", "cached"),
                      2: ("succeeded", "cached"), 3: ("cached", "succeeded")}
    assert (steps(tmp_path, "r2") / "s" / "outputs" / "o").read_text() == "2\n"


def test_a_cache_include_that_matches_nothing_is_e104(tmp_path) -> None:
    spec = f"""steps:
  s:
    {IMG}
    command: echo
    cache: {{include: ["src/*.py"]}}
"""
    done, _ = run(tmp_path, spec)
    assert done.returncode == 1 and "error[E104]: cache.include 'src/*.py' matches no file" \
        in done.stderr


def test_local_sources_are_cached_by_content(tmp_path) -> None:
    """Issue 13: a step reading a `type: local` source is cached by default, and the file's
    content is in the key."""
    spec = f"""sources:
  data: {{type: local, path: data/, tables: {{t: {{path: t.csv, format: csv}}}}}}
steps:
  s:
    {IMG}
    command: cp ${{{{ inputs.t }}}} ${{{{ outputs.o }}}}
    inputs: {{t: "${{{{ sources.data.t }}}}"}}
    outputs: {{o: {{type: file}}}}
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec, "data/t.csv": "a\n1\n"})
    seen = []
    for n, content in enumerate(["a\n1\n", "a\n1\n", "a\n2\n"]):
        (tmp_path / "data" / "t.csv").write_text(content)
        done, record = run(tmp_path, spec, run_id=f"r{n}")
        assert done.returncode == 0, done.stderr
        seen.append(record["steps"]["s"]["status"])
    assert seen == ["succeeded", "cached", "succeeded"]
    assert (steps(tmp_path, "r2") / "s" / "outputs" / "o").read_text() == "a\n2\n"


def _mount_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True).returncode == 0


needs_mount = pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux",
                                 reason="mounts a small tmpfs: needs root on Linux (CI has it)")


@needs_mount
def test_a_full_disk_fails_the_task_and_leaves_the_run_record(tmp_path) -> None:
    """Issue 13: a full disk is a clear message naming the path; run.json is still written;
    nothing temporary stays in .mlc (SPEC 12)."""
    project = tmp_path / "full"
    if not _mount_tmpfs(project, "size=1m"):
        pytest.skip("mount -t tmpfs refused here")
    try:
        spec = f"""steps:
  big:
    {IMG}
    command: head -c 600000 /dev/zero > ${{{{ outputs.o }}}}
    outputs: {{o: {{type: file}}}}
"""
        done, record = run(project, spec)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "No space left on device: " in done.stderr and ".mlc/cache/" in done.stderr
        assert record["status"] == "failed" and record["steps"]["big"]["status"] == "failed"
        leftovers = [p.name for p in (project / ".mlc").rglob("*")
                     if ".tmp" in p.name or "mlc-probe" in p.name]
        assert leftovers == []
    finally:
        subprocess.run(["umount", str(project)], check=False)


@needs_mount
def test_read_only_folders_are_usage_errors(tmp_path) -> None:
    """Issue 13: a read-only .mlc/cache (or runs) and a read-only --out, a file where --out's
    folder goes, a busy build/argo: a message naming the path, exit 2, no traceback."""
    spec = f"""steps:
  s:
    {IMG}
    command: echo hi
targets:
  argo: {{artifact_store: "s3://b/p/"}}
"""
    write_project(tmp_path, {"mlc.yaml": HEAD + spec})
    mounted = []
    try:
        for folder in (tmp_path / ".mlc" / "cache", tmp_path / "ro"):
            if not _mount_tmpfs(folder, "ro,size=1m"):
                pytest.skip("mount -t tmpfs refused here")
            mounted.append(folder)
        done = run_cli("run", "--run-id", "r", cwd=tmp_path)
        assert done.returncode == 2 and "cannot write in" in done.stderr and \
            ".mlc/cache: Read-only file system" in done.stderr, done.stderr
        assert run_cli("run", "--run-id", "r", "--no-cache", cwd=tmp_path).returncode == 0
        out = run_cli("compile", "--target", "argo", "--out", "ro", cwd=tmp_path)
        assert out.returncode == 2 and "cannot write ro/argo: Read-only file system" in out.stderr
        (tmp_path / "afile").write_text("")
        file = run_cli("compile", "--target", "argo", "--out", "afile", cwd=tmp_path)
        assert file.returncode == 2 and "afile is a file, not a folder" in file.stderr
        busy = tmp_path / "busy" / "argo"
        if _mount_tmpfs(busy, "size=1m"):
            mounted.append(busy)
            held = run_cli("compile", "--target", "argo", "--out", "busy", cwd=tmp_path)
            assert held.returncode == 2 and "Device or resource busy" in held.stderr
            assert [p.name for p in (tmp_path / "busy").iterdir()] == ["argo"]
        for done in (out, file):
            assert "Traceback" not in done.stderr
    finally:
        for folder in reversed(mounted):
            subprocess.run(["umount", str(folder)], check=False)
