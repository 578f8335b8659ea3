"""bench/instructions: instructions executed by `mlc compile --target argo` on the data chain,
counted by valgrind (cachegrind, `--cache-sim=no`), for this tree and optionally a git revision.

Wall time on a shared VM moves by 10-30% from minute to minute; the instruction count of a
process does not (with PYTHONHASHSEED=0 it repeats to the last few million), so an A/B of a
change that saves 2% shows here when `bench/compile` cannot see it. It is a proxy: start-up
(imports, page faults) costs more time per instruction than the per-step work. The goals are
timed by bench/compile; this says where a change moved the count.

    python bench/instructions.py            # this tree: 1 and 1,000 steps, and per step
    python bench/instructions.py HEAD~3     # also that revision, and the ratio

Needs valgrind (Debian: `apt-get install valgrind`); prints why and exits 2 without it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from compile import LIMITS
from gen import data_chain, write
from harness import ROOT, bench_python

SIZES = (1, 1000)


def instructions(py: str, source: Path, spec: Path, out: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONHASHSEED="0", PYTHONPATH=str(source))
    cmd = [py, "-m", "mlc", "compile", str(spec), "--target", "argo", "--out", str(out)]
    subprocess.run(cmd, env=env, capture_output=True, check=True)  # .pyc files, output in place
    run = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                          "--cachegrind-out-file=/dev/null"] + cmd,
                         env=env, capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{run.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def counts(py: str, source: Path, tmp: Path) -> dict[int, int]:
    out = {}
    for n in SIZES:
        spec = tmp / f"data-{n}.yaml"
        write(spec, data_chain(n) + LIMITS)
        out[n] = instructions(py, source, spec, tmp / f"out-{source.name}-{n}")
    return out


def main() -> None:
    if shutil.which("valgrind") is None:
        print("bench/instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        raise SystemExit(2)
    py = bench_python()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        rows = [("this tree", counts(py, ROOT / "compiler", tmp))]
        if len(sys.argv) > 1:
            rev = sys.argv[1]
            base = tmp / "base"
            base.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "compiler"],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            rows.append((rev, counts(py, base / "compiler", tmp)))
    print("bench/instructions: mlc compile --target argo, data chain (valgrind, millions)")
    print(f"{'tree':12} {'1 step':>10} {'1,000 steps':>12} {'per step':>10}")
    for label, c in rows:
        per = (c[1000] - c[1]) / 999
        print(f"{label:12} {c[1] / 1e6:10,.0f} {c[1000] / 1e6:12,.0f} {per / 1e6:10.2f}")
    if len(rows) == 2:
        print(f"1,000 steps: {rows[0][1][1000] / rows[1][1][1000]:.3f} of {rows[1][0]}")


if __name__ == "__main__":
    main()
