"""bench/startup: start-up of `mlc --help` and `mlc validate` beside python and the peers.

Run with `make bench` (which installs kfp and hera into bench/.venv only) or directly:
`python bench/startup.py`. Prints medians of whole-process runs and ratios to `python -c pass`.
"""

from __future__ import annotations

import sys

from harness import ROOT, bench_python, median_seconds, table

CHURN = str(ROOT / "examples" / "churn" / "mlc.yaml")


def main(runs: int = 11) -> None:
    py = bench_python()
    mlc = [py, "-m", "mlc"]
    rows = [
        ("python -c pass", median_seconds([py, "-c", "pass"], runs)),
        ("mlc --help", median_seconds(mlc + ["--help"], runs)),
        ("mlc validate examples/churn/mlc.yaml", median_seconds(mlc + ["validate", CHURN], runs)),
    ]
    for name, module in (("python -c 'import kfp'", "kfp"),
                         ("python -c 'import hera.workflows'", "hera.workflows")):
        try:
            rows.append((name, median_seconds([py, "-c", f"import {module}"], runs)))
        except SystemExit:
            print(f"({module} is not installed in {py}; run `make bench`)", file=sys.stderr)
    print("bench/startup (whole-process medians, %d runs)" % runs)
    print(table(rows, anchor="python -c pass"))
    validate = dict(rows)["mlc validate examples/churn/mlc.yaml"]
    print(f"goal: validate churn <= 0.350s median -> {'met' if validate <= 0.35 else 'NOT met'}")


if __name__ == "__main__":
    main()
