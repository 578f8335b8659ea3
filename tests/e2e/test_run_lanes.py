"""`mlc run --parallel N` runs tasks in lanes, worker processes forked by mlc (run/lanes.py):
the same results as worker threads, and the same faults handled. Real processes throughout; a
task's `$PPID` is the process that started it, which tells a lane from mlc itself."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_project
from tests.e2e.test_run import HEAD, IMG, _alive, steps

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="lanes use fork")


def fan_out(n: int, command: str, after: bool = False) -> str:
    return HEAD + f"""steps:
  s:
    {IMG}
    command: {json.dumps(command)}
    foreach: {{i: [{", ".join(str(i) for i in range(n))}]}}
    cache: false
""" + (f"  after:\n    {IMG}\n    command: \"true\"\n    needs: [s]\n" if after else "")


def start(tmp_path: Path, spec: str, *args: str) -> subprocess.Popen:
    write_project(tmp_path, {"mlc.yaml": spec})
    return subprocess.Popen([sys.executable, "-m", "mlc", "run", "--run-id", "r", *args],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_for(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.exists(), f"{path.name} never appeared"


def record(tmp_path: Path) -> dict:
    return json.loads((tmp_path / ".mlc" / "runs" / "r" / "run.json").read_text())


@pytest.mark.parametrize("parallel", [1, 2, 3])
def test_tasks_run_in_one_lane_a_worker(tmp_path, parallel) -> None:
    """300 items: every one ran once, in its own folder; with N >= 2 workers the tasks' parent
    is one of N lanes, never mlc; with one worker, mlc itself."""
    proc = start(tmp_path, fan_out(300, 'echo "$PPID $MLC_FOREACH_I" > "$MLC_STEP_CONFIG.ran"'),
                 "--parallel", str(parallel))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert record(tmp_path)["steps"]["s"]["items"] == {
        "total": 300, "succeeded": 300, "failed": 0, "skipped": 0, "cached": 0}
    ran = [(steps(tmp_path) / "s" / f"i={i}" / "config.json.ran").read_text().split()
           for i in range(300)]
    assert [int(item) for _, item in ran] == list(range(300))
    parents = {int(parent) for parent, _ in ran}
    if parallel == 1:
        assert parents == {proc.pid}
    else:
        assert len(parents) == parallel and proc.pid not in parents
        assert not any(_alive(lane) for lane in parents)  # all waited for


def test_a_failure_in_a_lane_stops_new_work(tmp_path) -> None:
    done = run_cli("run", "--run-id", "r", "--parallel", "2", cwd=write_project(
        tmp_path, {"mlc.yaml": fan_out(600, 'test "$MLC_FOREACH_I" != 40', after=True)}))
    assert done.returncode == 1, done.stderr
    items = record(tmp_path)["steps"]["s"]["items"]
    assert items["failed"] == 1 and items["total"] == 600
    assert items["succeeded"] + items["skipped"] == 599
    ran = sum(1 for _ in (steps(tmp_path) / "s").iterdir())
    assert ran == items["succeeded"] + 1 and ran < 300, ran  # nothing new after the failure
    assert record(tmp_path)["steps"]["after"]["status"] == "skipped"
    assert "s i=40: FAILED after 1 attempt(s): exit code 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_lane_that_is_killed_fails_its_task_and_the_run_ends(tmp_path) -> None:
    """The out-of-memory killer takes a lane: its task fails with the reason, nothing hangs,
    the run folder ends with run.json."""
    command = 'if [ "$MLC_FOREACH_I" = 30 ]; then kill -9 $PPID; sleep 1; fi'
    proc = start(tmp_path, fan_out(200, command), "--parallel", "2")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "s i=30: FAILED after 1 attempt(s): mlc's worker process ended (killed by signal 9)" \
        in err, err
    assert record(tmp_path)["steps"]["s"]["items"]["failed"] >= 1
    assert "Traceback" not in err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_ends_every_lane_and_task(tmp_path, sig) -> None:
    command = ('echo "$PPID $$" >> procs; [ "$MLC_FOREACH_I" = 4 ] && echo go > started; '
               "sleep 0.3")
    proc = start(tmp_path, fan_out(1000, command), "--parallel", "2")
    wait_for(tmp_path / "started")
    sent = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert time.monotonic() - sent < 10
    assert record(tmp_path)["reason"] == "interrupted"
    items = record(tmp_path)["steps"]["s"]["items"]
    assert items["skipped"] > 500 and items["failed"] == 0
    time.sleep(0.2)
    pids = {int(p) for line in (tmp_path / "procs").read_text().splitlines()
            for p in line.split()}
    assert not [p for p in pids if _alive(p)]
    assert "Traceback" not in err


def test_lanes_start_nothing_once_mlc_is_killed(tmp_path) -> None:
    """SIGKILL gives mlc no time to tell its lanes: each finds its parent gone before its next
    task and exits (a lane holds up to 64 tasks of 0.2 s here: 13 s of work)."""
    proc = start(tmp_path, fan_out(2000, 'echo "$PPID" >> lanes; echo x > started; sleep 0.2'),
                 "--parallel", "2")
    wait_for(tmp_path / "started")
    proc.kill()
    proc.communicate(timeout=30)
    lanes = {int(p) for p in (tmp_path / "lanes").read_text().split()}
    deadline = time.monotonic() + 3
    while [p for p in lanes if _alive(p)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in lanes if _alive(p)]
    count = len((tmp_path / "lanes").read_text().split())
    time.sleep(0.5)
    assert len((tmp_path / "lanes").read_text().split()) == count  # nothing new started


def test_values_and_collections_reach_the_lanes(tmp_path) -> None:
    """A lane is forked before the run's first step: what later steps read (a value output a
    foreach runs over, a value in a command, a fan-in's items) is sent along with the tasks."""
    spec = HEAD + f"""steps:
  make:
    {IMG}
    command: python3 -c "import json; print(json.dumps(list(range(120))))" > ${{{{ outputs.xs }}}}; echo 7 > ${{{{ outputs.k }}}}
    outputs: {{xs: {{type: list, max_items: 200}}, k: {{type: integer}}}}
  sq:
    {IMG}
    command: x=${{{{ foreach.x }}}}; k=${{{{ inputs.k }}}}; echo $((x * k)) > ${{{{ outputs.o }}}}
    foreach: {{x: "${{{{ steps.make.outputs.xs }}}}"}}
    inputs: {{k: "${{{{ steps.make.outputs.k }}}}"}}
    outputs: {{o: {{type: file}}}}
  total:
    {IMG}
    command: find -L ${{{{ inputs.all }}}}/ -type f ! -name index.json | xargs cat | awk '{{s += $1}} END {{print s}}' > ${{{{ outputs.sum }}}}
    inputs: {{all: "${{{{ steps.sq.outputs.o }}}}"}}
    outputs: {{sum: {{type: integer}}}}
"""
    done = run_cli("run", "--run-id", "r", "--parallel", "2",
                   cwd=write_project(tmp_path, {"mlc.yaml": spec}))
    assert done.returncode == 0, done.stderr
    assert record(tmp_path)["steps"]["sq"]["items"]["succeeded"] == 120
    total = steps(tmp_path) / "total" / "outputs" / "sum"
    assert int(total.read_text()) == 7 * sum(range(120))
