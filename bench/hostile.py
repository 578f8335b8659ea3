"""bench/hostile: how fast hostile input is refused (SPEC 9.3: a billion-laughs file must fail
in well under a second). Whole-process medians of `mlc validate` beside `python -c pass`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from harness import bench_python, median_seconds, table


def bomb() -> str:
    out = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    out += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
    return "\n".join(out) + "\n"


CASES = {
    "billion laughs (SPEC 9.5)": bomb(),
    "10,000-deep flow nesting": "x: " + "[" * 10000 + "]" * 10000 + "\n",
    "9.9 MiB of one long list": "x: [" + ", ".join(["1"] * 3_400_000) + "]\n",
    "11 MiB file (over the size limit)": "# " + "x" * (11 * 1024 * 1024) + "\n",
}


def main() -> None:
    py = bench_python()
    rows = [("python -c pass", median_seconds([py, "-c", "pass"], 9))]
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in CASES.items():
            path = Path(tmp) / "mlc.yaml"
            path.write_text(text, encoding="utf-8")
            rows.append((f"validate: {name}",
                         median_seconds([py, "-m", "mlc", "validate", str(path)], 5, expect=(1,))))
    print("bench/hostile (whole-process medians; each run exits 1 with E100)")
    print(table(rows, anchor="python -c pass"))
    worst = max(secs for name, secs in rows[1:])
    print(f"slowest refusal {worst:.3f}s; bound 1 s -> {'met' if worst < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
