"""bench/compile: whole-process `mlc compile --target argo` on generated specs (chains and
fan-ins of 10 to 10,000 steps, the `data` chain that passes one dataset from step to step, and
the churn example) beside hera building the same workflows.

mlc and its peer (hera, kfp) are timed in alternating rounds, so their ratio is taken from the
same minutes of a machine whose speed varies.

Goals: 1,000 steps <= 0.8 s median, 10,000 steps <= 8 s, churn <= 0.5 s with workflow.yaml
<= 64 KiB whatever the fan-out (issue 3); on the data chain, at most 2,048 bytes per step,
measured as (bytes at 1,000 steps - bytes at 1 step) / 999, a 400-step chain within the
default 1 MiB, and at least 3x faster than hera at 1,000 steps (issue 10). Kubeflow (issue 11):
the lean chain and the data chain compiled for kubeflow beside kfp's DSL and compiler
(bench/kfp_build.py); a 1,000-step chain <= 0.8 s and at least 10x faster than kfp, 10,000
steps <= 8 s. Sizes of 10,000 run once (hera's fan-in and
kfp are quadratic); pass --quick to stop at 1,000.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from gen import SHAPES, data_chain, write
from harness import ROOT, bench_python, median_seconds, paired_medians

FASTEST: dict[tuple, dict[str, float]] = {}  # the fastest run of each side, by row

LIMITS = ("targets:\n  argo:\n    artifact_store: \"s3://bench/artifacts/\"\n"
          "    limits: {max_nodes_per_workflow: 1000000, max_definition_bytes: 1000000000}\n")


def main() -> None:
    quick = "--quick" in sys.argv
    py = bench_python()
    sizes = (10, 100, 1000) if quick else (10, 100, 1000, 10000)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("chain", "fanin"):
            for n in sizes:
                spec = Path(tmp) / f"{kind}-{n}.yaml"
                write(spec, SHAPES[kind](n) + LIMITS)
                runs = 1 if n >= 10000 else (5 if n >= 1000 else 7)
                mlc_cmd = [py, "-m", "mlc", "compile", str(spec), "--target", "argo",
                           "--out", f"{tmp}/m-{kind}-{n}"]
                hera_out = f"{tmp}/h-{kind}-{n}.yaml"
                try:  # alternating rounds: the ratio is taken from the same minutes
                    both = paired_medians({"mlc": mlc_cmd, "hera": [
                        py, str(ROOT / "bench" / "hera_build.py"), kind, str(n), hera_out]}, runs)
                    mlc, hera = both["mlc"], both["hera"]
                    hera_bytes = os.path.getsize(hera_out)
                except SystemExit:
                    mlc = median_seconds(mlc_cmd, runs)
                    hera, hera_bytes = float("nan"), 0
                mlc_bytes = os.path.getsize(f"{tmp}/m-{kind}-{n}/argo/workflow.yaml")
                rows.append((kind, n, mlc, mlc_bytes, hera, hera_bytes))
        data_rows = data_chain_rows(py, tmp)
        churn = ROOT / "examples" / "churn" / "mlc.yaml"
        churn_s = median_seconds([py, "-m", "mlc", "compile", str(churn), "--target", "argo",
                                  "--out", f"{tmp}/churn"], 9)
        churn_bytes = os.path.getsize(f"{tmp}/churn/argo/workflow.yaml")
    print("bench/compile (whole-process medians; mlc compile --target argo vs hera to_yaml)")
    print(f"{'shape':6} {'steps':>6} {'mlc s':>8} {'mlc bytes':>11} {'hera s':>8} "
          f"{'hera bytes':>11} {'hera/mlc':>9}")
    for kind, n, m, mb, h, hb in rows:
        print(f"{kind:6} {n:>6} {m:8.3f} {mb:>11,} {h:8.3f} {hb:>11,} {h / m:8.1f}x")
    print(f"churn example: {churn_s:.3f}s, workflow.yaml {churn_bytes:,} bytes "
          f"({churn_bytes / 1024:.1f} KiB)")
    print_data_chain(data_rows)
    by = {(k, n): m for k, n, m, *_ in rows}
    checks = [("1,000 steps <= 0.8 s", max(by[("chain", 1000)], by[("fanin", 1000)]) <= 0.8),
              ("churn <= 0.5 s", churn_s <= 0.5), ("workflow.yaml <= 64 KiB", churn_bytes <= 65536)]
    if not quick:
        checks.append(("10,000 steps <= 8 s",
                       max(by[("chain", 10000)], by[("fanin", 10000)]) <= 8))
    sizes = {n: b for n, _, b, _, _ in data_rows}
    per_step = (sizes[1000] - sizes[1]) / 999
    data_1000 = next(r for r in data_rows if r[0] == 1000)
    checks += [("data chain <= 2,048 bytes per step", per_step <= 2048),
               ("data chain of 400 steps within 1 MiB", sizes[400] <= 1024 * 1024),
               ("data chain of 1,000 steps >= 3x faster than hera",
                data_1000[3] / data_1000[1] >= 3)]
    kfp_rows = kubeflow_rows(py, quick)
    print("\nkubeflow: mlc compile --target kubeflow vs kfp's DSL + compiler (bench/kfp_build.py)")
    print(f"{'shape':6} {'steps':>6} {'mlc s':>8} {'mlc bytes':>11} {'kfp s':>8} {'kfp/mlc':>8}")
    for shape, n, m, mb, k in kfp_rows:
        print(f"{shape:6} {n:>6} {m:8.3f} {mb:>11,} {k:8.3f} {k / m:7.1f}x")
    kfp_by = {(shape, n): (m, k) for shape, n, m, _, k in kfp_rows}
    chain_1000 = kfp_by[("chain", 1000)]
    checks += [("kubeflow 1,000-step chain <= 0.8 s", chain_1000[0] <= 0.8),
               ("kubeflow 1,000-step chain >= 10x faster than kfp",
                chain_1000[1] / chain_1000[0] >= 10)]
    if not quick:
        checks.append(("kubeflow 10,000-step chain <= 8 s", kfp_by[("chain", 10000)][0] <= 8))
    for name, ok in checks:
        print(f"goal {name}: {'met' if ok else 'NOT met'}")
    # This VM's speed drifts by up to 2x from minute to minute; the goals above take medians.
    # The fastest run of each side, from the same alternating rounds, is the least disturbed.
    for key, peer, label in ((("data", 1000), "hera", "data chain, 1,000 steps, vs hera"),
                             (("kfp", "chain", 1000), "kfp", "kubeflow chain, 1,000 steps, vs kfp")):
        best = FASTEST.get(key, {})
        if "mlc" in best and peer in best:
            print(f"fastest runs, {label}: mlc {best['mlc']:.3f} s, {peer} {best[peer]:.3f} s "
                  f"({best[peer] / best['mlc']:.1f}x)")


def kubeflow_rows(py: str, quick: bool) -> list[tuple[str, int, float, int, float]]:
    """(shape, steps, mlc s, mlc bytes, kfp s) of the lean chain and the data chain compiled
    for kubeflow; kfp is timed up to 1,000 steps (it is quadratic: minutes at 10,000)."""
    limits = ("targets:\n  kubeflow:\n    limits: {max_nodes_per_workflow: 1000000, "
              "max_definition_bytes: 1000000000}\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for shape in ("chain", "data"):
            sizes = (10, 100, 1000) if quick or shape == "data" else (10, 100, 1000, 10000)
            for n in sizes:
                spec = Path(tmp) / f"k{shape}-{n}.yaml"
                write(spec, SHAPES[shape](n) + limits)
                runs = 1 if n >= 10000 else (5 if n >= 1000 else 3)
                mlc_cmd = [py, "-m", "mlc", "compile", str(spec), "--target", "kubeflow",
                           "--out", f"{tmp}/k-{shape}-{n}"]
                kfp = float("nan")
                if n <= 1000:  # alternating rounds, as for hera
                    both = paired_medians({"mlc": mlc_cmd, "kfp": [
                        py, str(ROOT / "bench" / "kfp_build.py"), shape, str(n),
                        f"{tmp}/kfp-{shape}-{n}.yaml"]}, runs,
                        fastest=FASTEST.setdefault(("kfp", shape, n), {}))
                    mlc, kfp = both["mlc"], both["kfp"]
                else:
                    mlc = median_seconds(mlc_cmd, runs)
                size = os.path.getsize(f"{tmp}/k-{shape}-{n}/kubeflow/pipeline.yaml")
                rows.append((shape, n, mlc, size, kfp))
    return rows


def data_chain_rows(py: str, tmp: str) -> list[tuple[int, float, int, float, int]]:
    """(steps, mlc s, mlc bytes, hera s, hera bytes) of the data chain at 1 to 1,000 steps.
    Within the default limits except the node budget and definition size, raised so every
    size compiles and its bytes can be counted."""
    rows = []
    for n in (1, 10, 100, 400, 1000):
        spec = Path(tmp) / f"data-{n}.yaml"
        write(spec, data_chain(n) + LIMITS)
        runs = 5
        out = f"{tmp}/m-data-{n}"
        hera_out = f"{tmp}/h-data-{n}.yaml"
        both = paired_medians({  # alternating rounds: the ratio is taken from the same minutes
            "mlc": [py, "-m", "mlc", "compile", str(spec), "--target", "argo", "--out", out],
            "hera": [py, str(ROOT / "bench" / "hera_build.py"), "data", str(n), hera_out]}, runs,
            fastest=FASTEST.setdefault(("data", n), {}))
        mlc, hera = both["mlc"], both["hera"]
        rows.append((n, mlc, os.path.getsize(f"{out}/argo/workflow.yaml"), hera,
                     os.path.getsize(hera_out)))
    return rows


def print_data_chain(rows: list[tuple[int, float, int, float, int]]) -> None:
    print("data chain (each step passes one dataset; mlc adds config, cache keys, run info)")
    print(f"{'steps':>6} {'mlc s':>8} {'mlc bytes':>11} {'hera s':>8} {'hera bytes':>11} "
          f"{'hera/mlc':>9}")
    for n, m, mb, h, hb in rows:
        print(f"{n:>6} {m:8.3f} {mb:>11,} {h:8.3f} {hb:>11,} {h / m:8.1f}x")
    first, last = rows[0], rows[-1]
    span = last[0] - first[0]
    print(f"bytes per step: mlc {(last[2] - first[2]) / span:,.0f}, "
          f"hera {(last[4] - first[4]) / span:,.0f}")


if __name__ == "__main__":
    main()
