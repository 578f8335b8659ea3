"""bench/shards: `mlc compile --target argo` of the 100,000-shard pipeline (issue 16), whole
process, against compiling the same pipeline with 10 shards: the split into chunked child
Workflows must not make compile time or output size depend on the fan-out's bound.

Goal (issue 16): at most 0.5 s; workflow.yaml under 64 KB whatever max_items is.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from harness import ROOT, bench_python, median_seconds, table

GOLDEN = ROOT / "tests" / "golden" / "argo" / "shards" / "mlc.yaml"


def main() -> None:
    py = bench_python()
    rows, by, sizes = [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for bound in (10, 100000, 1000000):
            root = Path(tmp) / str(bound)
            root.mkdir()
            text = GOLDEN.read_text().replace("max_items: 100000", f"max_items: {bound}")
            if bound > 230400:  # more memoization entries than the cache holds (E401)
                text = text.replace("    max_parallel: 200\n",
                                    "    max_parallel: 200\n    cache: false\n")
            (root / "mlc.yaml").write_text(text)
            secs = median_seconds([py, "-m", "mlc", "compile", "mlc.yaml", "--target", "argo",
                                   "--out", "build"], 9, cwd=str(root))
            size = (root / "build" / "argo" / "workflow.yaml").stat().st_size
            by[bound], sizes[bound] = secs, size
            rows.append((f"compile argo, max_items {bound:>9,} ({size:,} bytes)", secs))
    print("bench/shards (whole-process medians)")
    print(table(rows))
    print(f"100,000 / 10 shards: {by[100000] / by[10]:.2f}x time; "
          f"1,000,000 / 10: {by[1000000] / by[10]:.2f}x")
    ok = by[100000] <= 0.5 and max(sizes.values()) < 64 * 1024
    print(f"goals (100,000 shards <= 0.5 s, workflow.yaml < 64 KB): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
