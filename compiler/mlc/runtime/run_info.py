"""Run fields and param values (SPEC 5.2, 12). Standard library only.

As a script: MLC_RUN_NAME, MLC_CREATED (RFC 3339), MLC_TIMEZONE, MLC_PARAMS (JSON spec:
{name: {type, default, default_template, enum, max_items}}), and MLC_ARG_<NAME> for each
param (empty: not given). Writes run-id, run-date, run-started-at, run-json and, per param,
p-<name> (canonical text) and pj-<name> (JSON) under MLC_OUT (with MLC_ESCAPED=1 also
pe-<name>, the text JSON-escaped); exits 1 on a bad param value.
"""

import datetime
import json
import math
import os
import sys


# Each runtime module is shipped alone into a generated task, so it carries its own copy of
# SPEC 5.3 canonical text (runtime/items.py has the same; tests/unit check they agree).
def canonical(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def run_date(started, timezone):
    """The date of `started` (an aware datetime) in `timezone` (UTC if unknown here)."""
    try:
        import zoneinfo

        zone = zoneinfo.ZoneInfo(timezone)
    except Exception:  # no tz database in this image: fall back to UTC, loudly
        if timezone != "UTC":
            print(f"mlc: warning: time zone {timezone} unknown here; run.date in UTC")
        zone = datetime.timezone.utc
    return started.astimezone(zone).date().isoformat()


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _finite(value):
    """NaN and infinities are never values (SPEC 6.4): they are not JSON."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return True


def parse_value(name, spec, text):
    """A param value from its text (SPEC 12: typed per param, lists as JSON)."""
    kind = spec["type"]
    try:
        if kind == "string":
            value = text
        elif kind == "integer":
            if not text.strip().lstrip("+-").isdigit():
                raise ValueError
            value = int(text)
        elif kind == "number":
            value = json.loads(text)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError
        elif kind == "boolean":
            if text not in ("true", "false"):
                raise ValueError
            value = text == "true"
        else:
            value = json.loads(text)
            if not isinstance(value, list):
                raise ValueError
        if not _finite(value):
            raise ValueError
    except ValueError:
        raise ValueError(f"param {name}: {text!r} is not a valid {kind}") from None
    if spec.get("enum") is not None and value not in spec["enum"]:
        raise ValueError(f"param {name}: {text!r} is not one of {spec['enum']}")
    if kind == "list" and spec.get("max_items") is not None and len(value) > spec["max_items"]:
        raise ValueError(f"param {name}: {len(value)} items exceed max_items {spec['max_items']}")
    return value


def resolve(params, given, run):
    """{name: value}: given texts (None: not given), else defaults (templates over run)."""
    out = {}
    for name, spec in params.items():
        text = given.get(name)
        if text is not None:
            out[name] = parse_value(name, spec, text)
        elif spec.get("default_template") is not None:
            out[name] = "".join(run[p[1]] if p[0] == "run" else p[1]
                                for p in spec["default_template"])
        elif "default" in spec:
            out[name] = spec["default"]
        else:
            raise ValueError(f"param {name} has no default and was not given")
    return out


def main():
    out = os.environ.get("MLC_OUT", "/tmp/mlc")
    os.makedirs(out, exist_ok=True)
    started = parse_time(os.environ["MLC_CREATED"])
    run = {"id": os.environ["MLC_RUN_NAME"],
           "date": run_date(started, os.environ.get("MLC_TIMEZONE", "UTC")),
           "started_at": started.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    params = json.loads(os.environ.get("MLC_PARAMS", "{}"))
    given = {}
    for name in params:
        text = os.environ.get("MLC_ARG_" + name.upper(), "")
        given[name] = text if text != "" else None
    try:
        values = resolve(params, given, run)
    except ValueError as exc:
        sys.exit(f"mlc: {exc}")
    files = {"run-id": run["id"], "run-date": run["date"], "run-started-at": run["started_at"],
             "run-json": json.dumps(run, separators=(",", ":"))}
    for name, value in values.items():
        files["p-" + name] = canonical(value)
        files["pj-" + name] = json.dumps(value, ensure_ascii=False)
        if os.environ.get("MLC_ESCAPED") == "1":  # the text, JSON-escaped (Kubeflow)
            files["pe-" + name] = json.dumps(canonical(value), ensure_ascii=False)[1:-1]
    for name, text in files.items():
        with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    print(json.dumps(run))


if __name__ == "__main__":
    main()
