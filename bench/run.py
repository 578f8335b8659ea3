"""bench/run: `mlc run` of a foreach over 1,000 items running `true`, beside `xargs -P` running
the same 1,000 commands at the same parallelism (the floor for spawning processes).

Goals: per-task overhead over bare Python spawning (floor 1) at most 0.05 ms; at most 1.15x
`xargs -P` at 10,000 items from a list param, and linear from 1,000 to 10,000 items (issues 13,
15). Three floors (see FLOOR) show how much of the 1,000-item ratio is spawning, the libraries
and validation. Metaflow's local run of the same foreach, the tool users would otherwise pick,
is timed once at 1,000 items (it takes minutes; `--no-metaflow` skips it). At 10,000 items floor 1
is timed too: the ratio to xargs that no Python runner writing the SPEC 12 task folders goes under.

Two forms of the step, each beside the xargs line that runs the same commands:
- `command: [true]` is exec'd, as xargs execs `true`: the like-for-like pair, and the goal;
- `command: "true"` goes through `/bin/sh -c` (SPEC 7), as `xargs sh -c true` does.
The commands are timed in interleaved rounds (one of each per round), so a slow moment of the
machine falls on all of them alike; medians are printed.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import bench_env, bench_python, table

ITEMS = 1000
ROUNDS = 9


def spec(n: int, command: str = '["true"]') -> str:
    return ("apiVersion: mlc/v1\nproject: {name: bench-run, version: 1.0.0}\nsteps:\n"
            f"  s:\n    image: busybox:1.36\n    command: {command}\n"
            f"    foreach: {{i: [{', '.join(str(i) for i in range(n))}]}}\n"
            "    cache: false\n")


# The floor under `mlc run`, built up in three steps (each a whole process, like the others):
# 1. python spawning `true` from PARALLEL threads the way mlc does (CPython's fork_exec, which
#    lets go of the GIL during the vfork, on 3.11-3.13; posix_spawn elsewhere) and creating each
#    SPEC 12 task folder (config.json, stdout.log, stderr.log): the task phase with no mlc in it;
# 2. the same after loading typer and pydantic, the libraries mlc's CLI and schema are built
#    on, the way a typer CLI with one option loads them (typer 0.2x parses options through
#    pydantic TypeAdapters, so it loads pydantic's model machinery by itself);
# 3. the same after also validating the pipeline file with mlc (SPEC 9.2, `mlc run` must).
# What 1.5x xargs leaves above step 3 is mlc's budget for planning, the run records and the
# per-task bookkeeping; the summary prints it beside what mlc uses.
FLOOR_SOURCE = """
import os, sys, threading, json
if sys.argv[1] != "bare":  # the libraries, loaded as a typer CLI with one option loads them
    import typer
    from pydantic import BaseModel, TypeAdapter
    cli = typer.Typer()
    @cli.command()
    def one(n: int = 0): pass
    cli(["--n", "1"], standalone_mode=False)
if sys.argv[1] == "validate":
    import mlc.api
    assert mlc.api.validate(sys.argv[3], targets=["local"]).ok
FORK_EXEC = (3, 11) <= sys.version_info[:2] <= (3, 13)  # as mlc/run/executor.py decides
if FORK_EXEC:
    import _posixsubprocess
    env = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in os.environ.items()]
root = os.path.join("floor", str(os.getpid()))
items, lock = iter(range({items})), threading.Lock()
true = next(os.path.join(d, "true") for d in os.environ["PATH"].split(os.pathsep)
            if os.access(os.path.join(d, "true"), os.X_OK))
def work():
    while True:
        with lock:
            i = next(items, None)
        if i is None:
            return
        d = os.path.join(root, "steps", "s", f"i={{i}}")
        os.makedirs(d)
        with open(os.path.join(d, "config.json"), "w") as fh:
            fh.write(json.dumps({{"i": i}}) + "\\n")
        logs = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        if FORK_EXEC:
            stdio = (os.open(os.devnull, os.O_RDONLY), os.open(os.path.join(d, "stdout.log"),
                     logs, 0o644), os.open(os.path.join(d, "stderr.log"), logs, 0o644))
            r, w = os.pipe()
            pid = _posixsubprocess.fork_exec([true], [os.fsencode(true)], False, (), None, env,
                stdio[0], -1, -1, stdio[1], -1, stdio[2], r, w, True, True, -1, None, None,
                None, -1, None, True)
            os.close(w)
            os.read(r, 100)
            for fd in (r, *stdio):
                os.close(fd)
        else:
            pid = os.posix_spawn(true, [true], os.environ, setsid=True, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.path.join(d, "stdout.log"), logs, 0o644),
                (os.POSIX_SPAWN_OPEN, 2, os.path.join(d, "stderr.log"), logs, 0o644)])
        os.waitpid(pid, 0)
threads = [threading.Thread(target=work) for _ in range(int(sys.argv[2]))]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


def floor_source(items: int) -> str:
    return FLOOR_SOURCE.format(items=items)


FLOOR = floor_source(ITEMS)


def main() -> None:
    py = bench_python()
    parallel = os.cpu_count() or 1
    places = [("tmpfs", "/dev/shm")] if os.path.isdir("/dev/shm") else []
    places.append(("disk", None))  # the system temp folder: whatever disk this machine has
    print(f"bench/run (whole-process medians of {ROUNDS} interleaved rounds, "
          f"--parallel {parallel})")
    for label, base in places:
        with tempfile.TemporaryDirectory(dir=base) as tmp:
            print(f"\n-- run folder on {label} ({base or tempfile.gettempdir()})")
            _place(py, parallel, tmp)
    with tempfile.TemporaryDirectory(dir=places[0][1]) as tmp:
        _larger(py, parallel, tmp, places[0][0])
    if "--no-metaflow" not in sys.argv:
        with tempfile.TemporaryDirectory(dir=places[0][1]) as tmp:
            Path(tmp, "small.yaml").write_text(list_spec(ITEMS))
            anchor = _interleaved({"mlc": lambda: [py, "-m", "mlc", "run", "small.yaml",
                                                   "--parallel", str(parallel)]}, tmp, rounds=3)
            _metaflow(py, parallel, tmp, anchor["mlc"])


def list_spec(n: int) -> str:
    """The foreach a user writes: a list param with n items (SPEC 6.2: each task gets its item,
    not the list)."""
    values = ", ".join(f'"s{i:05d}"' for i in range(n))
    return ("apiVersion: mlc/v1\nproject: {name: bench-run, version: 1.0.0}\n"
            f"params:\n  items: {{type: list, default: [{values}], max_items: {n}}}\n"
            "steps:\n  s:\n    image: busybox:1.36\n    command: [\"true\"]\n"
            '    foreach: {i: "${{ params.items }}"}\n    cache: false\n')


def _larger(py: str, parallel: int, tmp: str, label: str) -> None:
    """At 10x the items (fewer rounds), from a list param: start-up weighs 10x less, and a
    task that carried the whole list would cost 10x more."""
    big = 10 * ITEMS
    Path(tmp, "big.yaml").write_text(list_spec(big))
    Path(tmp, "small.yaml").write_text(list_spec(ITEMS))
    runs = iter(range(10**6))
    label_x, label_m = (f"seq {big} | xargs -P {parallel} -I{{}} true",
                        f"mlc run: {big} items from a list param")
    label_x1, label_m1 = (f"seq {ITEMS} | xargs -P {parallel} -I{{}} true",
                          f"mlc run: {ITEMS} items from a list param")

    def mlc(name: str):
        return lambda: [py, "-m", "mlc", "run", name, "--parallel", str(parallel),
                        "--run-id", f"b{next(runs)}"]

    Path(tmp, "exec.yaml").write_text(spec(1))
    label_f = f"floor 1 at {big}: python spawns them + SPEC 12 task folders"
    times = _interleaved({
        label_x: lambda: ["sh", "-c", f"seq {big} | xargs -P {parallel} -I{{}} true"],
        label_f: lambda: [py, "-c", floor_source(big), "bare", str(parallel), "exec.yaml"],
        label_m: mlc("big.yaml"),
        label_x1: lambda: ["sh", "-c", f"seq {ITEMS} | xargs -P {parallel} -I{{}} true"],
        label_m1: mlc("small.yaml"),
    }, tmp, rounds=3, cpu=(cpu := {}))
    print(f"\n-- {big} items, run folder on {label} (medians of 3 rounds)")
    print(table(list(times.items()), anchor=label_x))
    ratio = times[label_m] / times[label_x]
    per_task_small = times[label_m1] / ITEMS
    per_task_big = times[label_m] / big
    print(f"goal <= 1.15x xargs at {big} items: {ratio:.2f}x -> "
          f"{'met' if ratio <= 1.15 else 'NOT met'}")
    floor = times[label_f] / times[label_x]
    print(f"floor 1 at {big} items (no mlc, no libraries: threads, the spawn mlc uses and the task "
          f"folders alone): {floor:.2f}x xargs; mlc above it: "
          f"{(times[label_m] - times[label_f]) / big * 1000:+.3f} ms a task, start-up included")
    # On a machine whose cores xargs alone keeps busy, every CPU second mlc adds is a second
    # of wall time shared among the cores: the goal's room is what 1.15x leaves of xargs' CPU
    cores = os.cpu_count() or 1
    print(f"CPU (user + system, all processes), medians: xargs {cpu[label_x]:.2f} s "
          f"({cpu[label_x] / times[label_x] / cores:.0%} of {cores} cores over its run), "
          f"floor 1 {cpu[label_f]:.2f} s, mlc {cpu[label_m]:.2f} s; a task costs "
          f"{(cpu[label_f] - cpu[label_x]) / big * 1000:+.3f} ms of CPU in floor 1 and "
          f"{(cpu[label_m] - cpu[label_x]) / big * 1000:+.3f} ms in mlc over xargs")
    print(f"linear: {per_task_small * 1000:.3f} ms a task at {ITEMS} items, "
          f"{per_task_big * 1000:.3f} ms at {big} -> "
          f"{'met' if per_task_big <= per_task_small * 1.1 else 'NOT met'}")


METAFLOW_FLOW = """
from metaflow import FlowSpec, step
import subprocess


class Fan(FlowSpec):
    @step
    def start(self):
        self.items = [f"s{{i:05d}}" for i in range({items})]
        self.next(self.each, foreach="items")

    @step
    def each(self):
        subprocess.run(["true"], check=True)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    Fan()
"""


def _metaflow(py: str, parallel: int, tmp: str, anchor: float) -> None:
    """Metaflow's local run of the same foreach, once (it takes minutes at 1,000 items)."""
    try:
        subprocess.run([py, "-c", "import metaflow"], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        print("\n-- Metaflow is not installed in bench/.venv (make bench installs it); skipped")
        return
    Path(tmp, "fan.py").write_text(METAFLOW_FLOW.format(items=ITEMS))
    env = bench_env() | {"USER": os.environ.get("USER", "bench"),
                         "METAFLOW_DEFAULT_DATASTORE": "local",
                         "METAFLOW_DEFAULT_METADATA": "local"}
    start = time.perf_counter()
    # --max-num-splits: Metaflow refuses a foreach of more than 100 children by default
    done = subprocess.run([py, "fan.py", "run", "--max-workers", str(parallel),
                           "--max-num-splits", str(ITEMS)], cwd=tmp, env=env,
                          capture_output=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        print(f"\n-- Metaflow failed (exit {done.returncode}):\n"
              f"{done.stderr.decode(errors='replace')[-1500:]}")
        return
    print(f"\n-- Metaflow local run, {ITEMS} items, --max-workers {parallel} (one run)")
    print(f"metaflow: {took:.2f} s = {took / anchor:.1f}x mlc run's {anchor:.3f} s")


def _place(py: str, parallel: int, tmp: str) -> None:
    Path(tmp, "exec.yaml").write_text(spec(ITEMS))
    Path(tmp, "shell.yaml").write_text(spec(ITEMS, '"true"'))
    Path(tmp, "one.yaml").write_text(spec(1))
    runs = iter(range(10**6))

    def mlc(name: str):
        return lambda: [py, "-m", "mlc", "run", name, "--parallel", str(parallel),
                        "--run-id", f"b{next(runs)}"]

    xargs = f"seq {ITEMS} | xargs -P {parallel} -I{{}}"
    floor = lambda stage: lambda: [py, "-c", FLOOR, stage, str(parallel), "exec.yaml"]  # noqa: E731
    rows = {
        "xargs": (f"{xargs} true", lambda: ["sh", "-c", f"{xargs} true"]),
        "xargs_sh": (f"{xargs} sh -c true", lambda: ["sh", "-c", f"{xargs} sh -c true"]),
        "bare": ("floor 1: python spawns them + SPEC 12 task folders", floor("bare")),
        "libs": ("floor 2: 1 + load typer, pydantic", floor("libs")),
        "validate": ("floor 3: 2 + mlc validates the pipeline", floor("validate")),
        "one": ("mlc run: foreach over 1 item (start-up)", mlc("one.yaml")),
        "full": (f"mlc run: {ITEMS} items, command: [true]", mlc("exec.yaml")),
        "full_sh": (f'mlc run: {ITEMS} items, command: "true"', mlc("shell.yaml")),
    }
    times = _interleaved({label: make for label, make in rows.values()}, tmp)
    t = {key: times[label] for key, (label, _) in rows.items()}
    print(table(list(times.items()), anchor=rows["xargs"][0]))
    per_task = (t["full"] - t["one"]) / (ITEMS - 1)
    print(f"per task: {per_task * 1000:.3f} ms in mlc run vs {t['xargs'] / ITEMS * 1000:.3f} ms "
          f"in xargs and {t['bare'] / ITEMS * 1000:.3f} ms in floor 1 (mlc's overhead "
          f"{(per_task - t['bare'] / ITEMS) * 1000:+.3f} ms a task); start-up {t['one']:.3f} s")
    print(f"through the shell: {t['full_sh'] / t['xargs_sh']:.2f}x `{rows['xargs_sh'][0]}`")
    print(f"above floor 3 mlc uses {t['full'] - t['validate']:+.3f} s (planning, run records, "
          f"per-task bookkeeping); the whole run is {t['full'] / t['xargs']:.2f}x xargs")
    overhead = (per_task - t["bare"] / ITEMS) * 1000
    print(f"goal: per-task overhead over floor 1 <= 0.05 ms: {overhead:+.3f} ms -> "
          f"{'met' if overhead <= 0.05 else 'NOT met'}")


def _interleaved(commands: dict, cwd: str, rounds: int = ROUNDS,
                 cpu: dict[str, float] | None = None) -> dict[str, float]:
    """Median wall times; with `cpu`, also the median CPU time (user + system, the command
    and all its children) of each command, put in `cpu`."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    cpu_samples: dict[str, list[float]] = {name: [] for name in commands}
    env = bench_env()
    for round_ in range(rounds + 1):  # the first round warms caches and is dropped
        for name, make in commands.items():
            cmd = make()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
            took = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if round_:
                cpu_samples[name].append(after.ru_utime + after.ru_stime
                                         - before.ru_utime - before.ru_stime)
            if done.returncode != 0:
                raise SystemExit(f"{name}: exit {done.returncode}\n"
                                 f"{done.stderr.decode(errors='replace')[-2000:]}")
            if round_:
                samples[name].append(took)
    if cpu is not None:
        cpu.update({name: statistics.median(v) for name, v in cpu_samples.items()})
    return {name: statistics.median(values) for name, values in samples.items()}


if __name__ == "__main__":
    main()
