"""bench/run: `mlc run` of a foreach over 1,000 items running `true`, beside `xargs -P` running
the same 1,000 commands at the same parallelism (the floor for spawning processes).

Goal (issue 4): at most 1.5x the xargs time; prints the per-task overhead.

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


# The file-system work SPEC 12 asks of every task, and nothing else: the floor under mlc run
# on this disk.
LAYOUT = f"""
import os, sys, uuid
root = os.path.join("floor", uuid.uuid4().hex)
for i in range({ITEMS}):
    d = os.path.join(root, "steps", "s", f"i={{i}}")
    os.makedirs(d)
    for n in ("config.json", "stdout.log", "stderr.log"):
        open(os.path.join(d, n), "w").close()
"""


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


def _place(py: str, parallel: int, tmp: str) -> None:
    Path(tmp, "exec.yaml").write_text(spec(ITEMS))
    Path(tmp, "shell.yaml").write_text(spec(ITEMS, '"true"'))
    Path(tmp, "one.yaml").write_text(spec(1))
    runs = iter(range(10**6))

    def mlc(name: str):
        return lambda: [py, "-m", "mlc", "run", name, "--parallel", str(parallel),
                        "--run-id", f"b{next(runs)}"]

    xargs = f"seq {ITEMS} | xargs -P {parallel} -I{{}}"
    commands = {
        f"{xargs} true": lambda: ["sh", "-c", f"{xargs} true"],
        f"{xargs} sh -c true": lambda: ["sh", "-c", f"{xargs} sh -c true"],
        f"{ITEMS} task folders, python (fs floor)": lambda: [py, "-c", LAYOUT],
        "mlc run: foreach over 1 item (start-up)": mlc("one.yaml"),
        f"mlc run: {ITEMS} items, command: [true]": mlc("exec.yaml"),
        f'mlc run: {ITEMS} items, command: "true"': mlc("shell.yaml"),
    }
    times = _interleaved(commands, tmp)
    names = list(commands)
    anchor, anchor_sh, _, one, full, full_sh = (times[n] for n in names)
    print(table([(n, times[n]) for n in names], anchor=names[0]))
    per_task = (full - one) / (ITEMS - 1)
    floor = anchor / ITEMS
    print(f"per task: {per_task * 1000:.3f} ms in mlc run vs {floor * 1000:.3f} ms in xargs "
          f"(mlc's overhead {(per_task - floor) * 1000:+.3f} ms a task; creating the SPEC 12 "
          f"task folder alone is {times[names[2]] / ITEMS * 1000:.3f} ms); "
          f"start-up {one:.3f} s")
    print(f"through the shell: {full_sh / anchor_sh:.2f}x `{names[1]}`")
    print(f"goal <= 1.5x xargs (the same commands): {full / anchor:.2f}x -> "
          f"{'met' if full <= 1.5 * anchor else 'NOT met'}")


def _interleaved(commands: dict, cwd: str) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    env = bench_env()
    for round_ in range(ROUNDS + 1):  # the first round warms caches and is dropped
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
