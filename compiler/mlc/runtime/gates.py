"""Gate evaluation (SPEC 6.5), identical on every target. Standard library only.

As a script: reads MLC_GATES (JSON: datasets, metrics, gates with resolved thresholds),
the metrics file at MLC_METRICS_PATH, and MLC_CONSUMED ("true" when a deploy step reads
`passed`); writes gates.json and `passed` under MLC_OUT (default /tmp/mlc); exits 1 when the
metrics break the contract, or when a gate failed and no deploy consumes the decision.
"""

import json
import math
import os
import sys

CONDITIONS = ("min", "max", "min_absolute_change", "min_relative_change")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def contract_problem(metrics, datasets, names):
    """None if `metrics` follows {"candidate": {d: {m: number}}, "baseline": {...}}."""
    if not isinstance(metrics, dict) or not isinstance(metrics.get("candidate"), dict):
        return "metrics must be an object with a 'candidate' object"
    for d in datasets:
        for m in names:
            value = metrics["candidate"].get(d, {}).get(m) if isinstance(
                metrics["candidate"].get(d), dict) else None
            if not _number(value):
                return f"candidate[{d!r}][{m!r}] must be a finite number, got {value!r}"
    baseline = metrics.get("baseline")
    if baseline is None:
        return None
    if not isinstance(baseline, dict):
        return "baseline must be an object"
    for d, entries in baseline.items():
        if not isinstance(entries, dict):
            return f"baseline[{d!r}] must be an object"
        for m, value in entries.items():
            if not _number(value):
                return f"baseline[{d!r}][{m!r}] must be a finite number, got {value!r}"
    return None


def _relative(d, b):
    if b != 0:
        return d / abs(b)
    return math.inf if d > 0 else (0.0 if d == 0 else -math.inf)


def evaluate(metrics, gates):
    """(passed, record): record is the gates.json object."""
    baseline_all = metrics.get("baseline") or {}
    results = []
    for gate in gates:
        c = metrics["candidate"][gate["dataset"]][gate["metric"]]
        b = (baseline_all.get(gate["dataset"]) or {}).get(gate["metric"])
        better = gate.get("greater_is_better", True)
        conditions = []
        for kind in CONDITIONS:
            threshold = gate.get(kind)
            if threshold is None:
                continue
            if kind == "min":
                status = "pass" if c >= threshold else "fail"
            elif kind == "max":
                status = "pass" if c <= threshold else "fail"
            elif b is None:
                status = "skipped"
            else:
                d = (c - b) if better else (b - c)
                value = d if kind == "min_absolute_change" else _relative(d, b)
                status = "pass" if value >= threshold else "fail"
            conditions.append({"kind": kind, "threshold": threshold, "status": status})
        statuses = {c["status"] for c in conditions}
        if "fail" in statuses:
            overall = "fail"
        elif statuses == {"skipped"}:
            overall = "skipped"
        else:
            overall = "pass"
        results.append({"metric": gate["metric"], "dataset": gate["dataset"], "status": overall,
                        "candidate": c, "baseline": b, "conditions": conditions})
    passed = all(r["status"] != "fail" for r in results)
    return passed, {"passed": passed, "gates": results}


def main():
    spec = json.loads(os.environ["MLC_GATES"])
    out = os.environ.get("MLC_OUT", "/tmp/mlc")
    with open(os.environ["MLC_METRICS_PATH"], encoding="utf-8") as fh:
        metrics = json.load(fh)
    problem = contract_problem(metrics, spec["datasets"], spec["metrics"])
    if problem:
        sys.exit(f"mlc: metrics contract violated: {problem}")
    passed, record = evaluate(metrics, spec["gates"])
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "gates.json"), "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=2, sort_keys=True)
    with open(os.path.join(out, "passed"), "w", encoding="utf-8") as fh:
        fh.write("true" if passed else "false")
    for gate in record["gates"]:
        print(f"gate {gate['metric']} on {gate['dataset']}: {gate['status']}")
    if not passed and os.environ.get("MLC_CONSUMED") != "true":
        sys.exit("mlc: gates failed and no deploy step reads this decision")


if __name__ == "__main__":
    main()
