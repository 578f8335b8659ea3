"""Whole-process timing: medians over repeated runs, printed as a table with ratios."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / "bench" / ".venv"


def bench_python() -> str:
    """The bench environment's python (mlc plus the peers), else the current one."""
    candidate = BENCH_VENV / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def bench_env() -> dict[str, str]:
    """The environment benchmarks run in: this one, with bytecode caching allowed. An
    installed mlc has its .pyc files (pip compiles them); an editable checkout gets them on
    the warm-up run. PYTHONDONTWRITEBYTECODE set to anything, even "0", turns this off and
    would time the compiling of mlc's sources on every start."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(cmd: list[str], runs: int = 9, cwd: str | None = None,
                   expect: tuple[int, ...] = (0,)) -> float:
    """Median wall time of `cmd` as a fresh process (one warm-up run first)."""
    env = bench_env()
    first = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    if first.returncode not in expect:
        raise SystemExit(f"{' '.join(cmd)} exited {first.returncode}:\n"
                         f"{first.stderr.decode(errors='replace')[-2000:]}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_medians(cmds: dict[str, list[str]], runs: int = 9, cwd: str | None = None,
                   fastest: dict[str, float] | None = None) -> dict[str, float]:
    """Median wall times of several commands timed in alternating rounds (one run of each per
    round, after one warm-up run each), so that a slow minute of the machine falls on all of
    them alike and their ratio means something. A command that fails raises SystemExit.
    With `fastest`, also each command's fastest run, put in it."""
    env = bench_env()
    for name, cmd in cmds.items():
        first = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
        if first.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {first.returncode}:\n"
                             f"{first.stderr.decode(errors='replace')[-2000:]}")
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            start = time.perf_counter()
            subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
            times[name].append(time.perf_counter() - start)
    if fastest is not None:  # the least disturbed run of each: on a VM whose speed drifts
        fastest.update({name: min(values) for name, values in times.items()})
    return {name: statistics.median(values) for name, values in times.items()}


def table(rows: list[tuple[str, float]], anchor: str | None = None) -> str:
    """`name  median  ratio to the anchor row`."""
    base = dict(rows).get(anchor) if anchor else None
    width = max(len(name) for name, _ in rows)
    out = [f"{'command'.ljust(width)}  {'median':>9}" + (f"  {'x ' + anchor:>12}" if base else "")]
    for name, secs in rows:
        line = f"{name.ljust(width)}  {secs:8.3f}s"
        if base:
            line += f"  {secs / base:11.2f}x"
        out.append(line)
    return "\n".join(out)
