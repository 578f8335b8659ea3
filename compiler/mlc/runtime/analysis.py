"""Canary analysis (SPEC 6.6): query Prometheus every interval and count failures.
Standard library only.

As a script: MLC_ANALYSIS (JSON: address, interval_s, failure_limit, metrics [{name, query,
min, max}]), MLC_DURATION_S, MLC_FAILURES (failures so far), MLC_MODE (`analysis` or
`experiment`), MLC_ON_INCONCLUSIVE; a bearer token is read from MLC_TOKEN_FILE if it exists.
Writes `failures` under MLC_OUT; exits 1 on analysis_failed, experiment_lost, or an
inconclusive experiment with on_inconclusive: rollback.
"""

import json
import os
import sys
import time
import urllib.parse
import urllib.request


def query(address, promql, token=None, timeout=30):
    """The single number a PromQL query returns, or None."""
    url = address.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.load(response)
    except (OSError, ValueError):
        return None
    result = body.get("data", {}).get("result", [])
    if body.get("status") != "success" or len(result) != 1:
        return None
    try:
        return float(result[0]["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def check(value, metric):
    if value is None:
        return False
    if metric.get("min") is not None and value < metric["min"]:
        return False
    if metric.get("max") is not None and value > metric["max"]:
        return False
    return True


def run(spec, duration, failures, measure=query, sleep=time.sleep, clock=time.monotonic,
        token=None):
    """(failures, measurements) after holding for `duration` seconds."""
    end = clock() + duration
    measurements = 0
    while True:
        for metric in spec["metrics"]:
            value = measure(spec["address"], metric["query"], token)
            ok = check(value, metric)
            measurements += value is not None
            failures += not ok
            print(f"{metric['name']} = {value} -> {'ok' if ok else 'FAIL'} "
                  f"({failures} failure(s), limit {spec['failure_limit']})")
            if failures > spec["failure_limit"]:
                return failures, measurements
        if clock() + spec["interval_s"] > end:
            return failures, measurements
        sleep(spec["interval_s"])


def main():
    spec = json.loads(os.environ["MLC_ANALYSIS"])
    out = os.environ.get("MLC_OUT", "/tmp/mlc")
    os.makedirs(out, exist_ok=True)
    token_file = os.environ.get("MLC_TOKEN_FILE", "")
    token = open(token_file).read().strip() if token_file and os.path.exists(token_file) else None
    mode = os.environ.get("MLC_MODE", "analysis")
    failures, measurements = run(spec, int(os.environ["MLC_DURATION_S"]),
                                 int(os.environ.get("MLC_FAILURES", "0") or 0), token=token)
    with open(os.path.join(out, "failures"), "w", encoding="utf-8") as fh:
        fh.write(str(failures))
    if failures > spec["failure_limit"]:
        sys.exit("mlc: " + ("experiment_lost" if mode == "experiment" else "analysis_failed"))
    if mode == "experiment" and measurements == 0:
        print("experiment inconclusive: no measurement during the hold")
        if os.environ.get("MLC_ON_INCONCLUSIVE", "rollback") == "rollback":
            sys.exit("mlc: experiment inconclusive (on_inconclusive: rollback)")


if __name__ == "__main__":
    main()
