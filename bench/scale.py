"""bench/scale: `mlc validate` on generated specs of 1,000 and 10,000 steps.

Goals (issue 2): at most 1 s and 10 s, growing linearly (no quadratic step).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from gen import SHAPES, write
from harness import bench_python, median_seconds, table

SIZES = {"chain": (1000, 10000), "fanin": (1000, 10000), "data": (1000, 6000)}


def main() -> None:
    py = bench_python()
    rows, by = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, sizes in SIZES.items():
            for n in sizes:
                path = Path(tmp) / f"{kind}-{n}.yaml"
                write(path, SHAPES[kind](n))
                secs = median_seconds([py, "-m", "mlc", "validate", str(path)], 5 if n <= 1000 else 3)
                by[(kind, n)] = secs
                rows.append((f"validate {kind:5} {n:>6} steps ({path.stat().st_size // 1024:>5} KiB)",
                             secs))
    print("bench/scale (whole-process medians)")
    print(table(rows))
    for kind, (small, large) in SIZES.items():
        ratio = by[(kind, large)] / by[(kind, small)]
        per = (by[(kind, large)] - by[(kind, small)]) / (large - small) * 1e6
        print(f"{kind}: {large:,}/{small:,} steps = {ratio:.1f}x time for {large // small}x steps; "
              f"{per:.0f} us per extra step")
    ok = all(by[(k, 1000)] <= 1 for k in SIZES) and by[("chain", 10000)] <= 10 and \
        by[("fanin", 10000)] <= 10
    print(f"goals (1,000 steps <= 1 s, 10,000 steps <= 10 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
