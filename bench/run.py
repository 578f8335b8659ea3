"""bench/run: `mlc run` of a foreach over 1,000 items running `true`, beside `xargs -P` running
the same 1,000 commands at the same parallelism (the floor for spawning processes).

Goal (issue 4): at most 1.5x the xargs time; prints the per-task overhead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from harness import bench_python, median_seconds, table

ITEMS = 1000


def spec(n: int) -> str:
    return ("apiVersion: mlc/v1\nproject: {name: bench-run, version: 1.0.0}\nsteps:\n"
            "  s:\n    image: busybox:1.36\n    command: \"true\"\n"
            f"    foreach: {{i: [{', '.join(str(i) for i in range(n))}]}}\n"
            "    cache: false\n")


def main() -> None:
    py = bench_python()
    parallel = os.cpu_count() or 1
    xargs = median_seconds(["sh", "-c", f"seq {ITEMS} | xargs -P {parallel} -I{{}} true"], 7)
    places = [("tmpfs", "/dev/shm")] if os.path.isdir("/dev/shm") else []
    places.append(("disk", None))  # the system temp folder: whatever disk this machine has
    print(f"bench/run (whole-process medians, --parallel {parallel})")
    for label, base in places:
        one, full, layout = _measure(py, parallel, base)
        rows = [(f"seq {ITEMS} | xargs -P {parallel} true", xargs),
                (f"{ITEMS} task folders, python (fs floor)", layout),
                ("mlc run: foreach over 1 item", one),
                (f"mlc run: foreach over {ITEMS} items", full)]
        print(f"\n-- run folder on {label} ({base or tempfile.gettempdir()})")
        print(table(rows, anchor=rows[0][0]))
        per_task = (full - one) / (ITEMS - 1)
        floor = xargs / ITEMS
        print(f"per task: {per_task * 1000:.2f} ms in mlc run vs {floor * 1000:.2f} ms in xargs "
              f"(mlc's overhead {(per_task - floor) * 1000:.2f} ms a task, of which "
              f"{layout / ITEMS * 1000:.2f} ms is creating the SPEC 12 task folder: "
              f"config.json, stdout.log, stderr.log); start-up {one:.2f} s")
        print(f"goal <= 1.5x xargs: {full / xargs:.2f}x -> "
              f"{'met' if full <= 1.5 * xargs else 'NOT met'}")


def _measure(py: str, parallel: int, base: str | None) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        Path(tmp, "mlc.yaml").write_text(spec(ITEMS))
        Path(tmp, "empty.yaml").write_text(spec(1))
        counter = {"n": 0}

        def mlc_cmd(name: str) -> list[str]:
            counter["n"] += 1
            return [py, "-m", "mlc", "run", name, "--parallel", str(parallel), "--run-id",
                    f"b{counter['n']}"]

        one = _median_fresh(lambda: mlc_cmd("empty.yaml"), tmp, 5)
        full = _median_fresh(lambda: mlc_cmd("mlc.yaml"), tmp, 5)
        layout = _median_fresh(lambda: [py, "-c", LAYOUT, str(counter.setdefault("n", 0))],
                               tmp, 5)
    return one, full, layout


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


def _median_fresh(make_cmd, cwd: str, runs: int) -> float:
    import statistics
    import subprocess
    import time

    times = []
    for _ in range(runs + 1):
        cmd = make_cmd()
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode()[-2000:])
    return statistics.median(times[1:])


if __name__ == "__main__":
    main()
