"""Select the best trial of a sweep (SPEC 6.4). Standard library only.

As a script: MLC_RESULTS (JSON list of {"index", "metrics"} where metrics is JSON text, as
Argo aggregates output parameters), MLC_TRIALS (the flattened trial list), MLC_OBJECTIVE
({"primary_metric", "goal"}). MLC_RESULTS_FILE and MLC_TRIALS_FILE name files holding the
same JSON instead: Linux refuses to start a process with one environment string over 128 KiB,
which a sweep of a few hundred trials reaches. Writes best, best_params, trials and best_run (the run that wrote
the best trial's outputs, when the trials report it: on Argo a cached trial's outputs are the
run's that computed them) under MLC_OUT, and uri-<output> for each artifact URI the best trial
reported.
"""

import json
import math
import os
import sys


def select(results, objective):
    """(best index, trials summary). Ties go to the lowest index."""
    metric, goal = objective["primary_metric"], objective["goal"]
    summary, best = [], None
    for entry in sorted(results, key=lambda r: int(r["index"])):
        index = int(entry["index"])
        metrics = entry["metrics"]
        if isinstance(metrics, str):
            metrics = json.loads(metrics)
        value = metrics.get(metric) if isinstance(metrics, dict) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"trial {index}: metrics lack a finite {metric!r} (got {value!r})")
        summary.append({"index": index, "values": entry.get("values"), "metrics": metrics})
        better = best is None or (value > best[1] if goal == "maximize" else value < best[1])
        if better:
            best = (index, value)
    if best is None:
        raise ValueError("no trials")
    return best[0], summary


def payload(name):
    """The JSON text of MLC_<name>, or of the file MLC_<name>_FILE names."""
    path = os.environ.get(name + "_FILE")
    if path:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    return os.environ[name]


def main():
    out = os.environ.get("MLC_OUT", "/tmp/mlc")
    os.makedirs(out, exist_ok=True)
    # Argo aggregates each trial's outputs as an object; Kubeflow collects each trial's
    # `result` output, a JSON text {"index", "metrics", "uris"} (uris: its artifacts' URIs).
    results = [json.loads(r) if isinstance(r, str) else r
               for r in json.loads(payload("MLC_RESULTS"))]
    trials = {int(t["index"]): json.loads(t["json"])["values"]
              for t in json.loads(payload("MLC_TRIALS"))}
    for entry in results:
        entry["values"] = trials.get(int(entry["index"]))
    try:
        best, summary = select(results, json.loads(os.environ["MLC_OBJECTIVE"]))
    except ValueError as exc:
        sys.exit(f"mlc: {exc}")
    files = [("best", str(best)), ("best_params", json.dumps(trials[best])),
             ("trials", json.dumps(summary)), ("best_run", "")]
    for entry in results:
        if int(entry["index"]) == best:
            # Argo: the run whose outputs the best trial has (a cached trial's are another's)
            files[3] = ("best_run", str(entry.get("mlc-run", "")))
            files += [("uri-" + name, uri) for name, uri in sorted(entry.get("uris", {}).items())]
    for name, value in files:
        with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
            fh.write(value)
    print(f"best trial: {best}")


if __name__ == "__main__":
    main()
