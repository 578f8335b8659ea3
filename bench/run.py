"""bench/run: `mlc run` of a foreach over 1,000 items running `true`, beside `xargs -P` running
the same 1,000 commands at the same parallelism (the floor for spawning processes).

Goal (issue 4): at most 1.5x the xargs time; prints the per-task overhead, and three floors
(see FLOOR) that show how much of the ratio is spawning, the libraries and validation.

Two forms of the step, each beside the xargs line that runs the same commands:
- `command: [true]` is exec'd, as xargs execs `true`: the like-for-like pair, and the goal;
- `command: "true"` goes through `/bin/sh -c` (SPEC 7), as `xargs sh -c true` does.
The commands are timed in interleaved rounds (one of each per round), so a slow moment of the
machine falls on all of them alike; medians are printed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
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
# 1. python spawning `true` from PARALLEL threads (posix_spawn, as mlc does) and creating each
#    SPEC 12 task folder (config.json, stdout.log, stderr.log): the task phase with no mlc in it;
# 2. the same after loading typer and pydantic, the libraries mlc's CLI and schema are built
#    on, the way a typer CLI with one option loads them (typer 0.2x parses options through
#    pydantic TypeAdapters, so it loads pydantic's model machinery by itself);
# 3. the same after also validating the pipeline file with mlc (SPEC 9.2, `mlc run` must).
# What 1.5x xargs leaves above step 3 is mlc's budget for planning, the run records and the
# per-task bookkeeping; the summary prints it beside what mlc uses.
FLOOR = """
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
""".format(items=ITEMS)


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


def _larger(py: str, parallel: int, tmp: str, label: str) -> None:
    """The same comparison at 10x the items (fewer rounds): start-up weighs 10x less."""
    items = 10 * ITEMS
    Path(tmp, "big.yaml").write_text(spec(items))
    runs = iter(range(10**6))
    label_x, label_m = (f"seq {items} | xargs -P {parallel} -I{{}} true",
                        f"mlc run: {items} items, command: [true]")
    times = _interleaved({
        label_x: lambda: ["sh", "-c", f"seq {items} | xargs -P {parallel} -I{{}} true"],
        label_m: lambda: [py, "-m", "mlc", "run", "big.yaml", "--parallel", str(parallel),
                          "--run-id", f"b{next(runs)}"],
    }, tmp, rounds=3)
    print(f"\n-- {items} items, run folder on {label} (medians of 3 rounds)")
    print(table(list(times.items()), anchor=label_x))


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
    budget = 1.5 * t["xargs"] - t["validate"]
    print(f"left for mlc above floor 3 by the goal: {budget:+.3f} s; mlc uses "
          f"{t['full'] - t['validate']:+.3f} s (planning, run records, per-task bookkeeping)")
    print(f"goal <= 1.5x xargs (the same commands): {t['full'] / t['xargs']:.2f}x -> "
          f"{'met' if t['full'] <= 1.5 * t['xargs'] else 'NOT met'}")


def _interleaved(commands: dict, cwd: str, rounds: int = ROUNDS) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    env = bench_env()
    for round_ in range(rounds + 1):  # the first round warms caches and is dropped
        for name, make in commands.items():
            cmd = make()
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
            took = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"{name}: exit {done.returncode}\n"
                                 f"{done.stderr.decode(errors='replace')[-2000:]}")
            if round_:
                samples[name].append(took)
    return {name: statistics.median(values) for name, values in samples.items()}


if __name__ == "__main__":
    main()
