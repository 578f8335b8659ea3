"""Fan-out items (SPEC 6.1, 6.4): the cartesian product of foreach dimensions, item keys,
and the compile-time sweep trials. Standard library only.

As a script: MLC_DIMS (JSON list of {name, values?, bound?, only?, env?}) where a dimension
without `values` reads its list from the environment variable named by `env`; MLC_SWEEPS
({name: {"trials": [...]}} for random sweeps drawn at compile time, or {name: {"grid": [[hp,
values], ...]}} expanded here, last fastest, exactly as at compile time); MLC_INDEX_DIRS (JSON
list of directories to receive index.json). Writes `items` and `trials-<name>` (JSON lists)
under MLC_OUT.
"""

import itertools
import json
import math
import os
import sys

SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def canonical(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def enc(value):
    """Percent-encode bytes outside [A-Za-z0-9_.-] and a leading '.' (upper-case hex)."""
    out = []
    for i, byte in enumerate(canonical(value).encode("utf-8")):
        ch = chr(byte)
        if ch in SAFE and not (i == 0 and ch == "."):
            out.append(ch)
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def item_key(dims, values):
    return "/".join(f"{d}={enc(v)}" for d, v in zip(dims, values))


def item_problem(values):
    """Why `values` cannot be foreach items (SPEC 6.4), or None: items are scalars, not empty,
    finite, and unique by canonical text, so 1 and "1" are the same item (one folder)."""
    seen = {}
    for v in values:
        if not isinstance(v, (str, int, float, bool)):
            return f"items must be scalars, got {v!r}"
        if v == "":
            return "empty item"
        if isinstance(v, float) and not math.isfinite(v):
            return f"{v!r} is not a finite number"
        text = canonical(v)
        if text in seen:
            return f"duplicate item {v!r} (the same as {seen[text]!r}: items are unique by text)"
        seen[text] = v
    return None


def expand(dims):
    """[(key, {dim: value})] in product order (last dimension fastest)."""
    names = [d["name"] for d in dims]
    for d in dims:
        values = d["values"]
        if not isinstance(values, list):
            raise ValueError(f"foreach {d['name']}: expected a JSON list, got {type(values).__name__}")
        if not values:
            raise ValueError(f"foreach {d['name']}: the list is empty")
        if d.get("bound") is not None and len(values) > d["bound"]:
            raise ValueError(f"foreach {d['name']}: {len(values)} items exceed the bound {d['bound']}")
        problem = item_problem(values)
        if problem:
            raise ValueError(f"foreach {d['name']}: {problem}")
        if d.get("only") is not None:
            outside = [v for v in values if v not in d["only"]]
            if outside:
                raise ValueError(f"foreach {d['name']}: {outside[0]!r} is not in partition.only")
    out = []
    for combo in itertools.product(*[d["values"] for d in dims]):
        key = item_key(names, combo)
        if len(key) > 128:
            raise ValueError(f"item key longer than 128 characters: {key[:40]}...")
        out.append((key, dict(zip(names, combo))))
    return out


def flat(head, values, whole, escaped=False):
    """One withParam entry: `head` fields, the JSON of `whole`, and each value as text
    (v_<name>) and JSON (j_<name>); with `escaped`, also its text JSON-escaped (e_<name>),
    for targets that cannot escape a value inside a JSON string themselves (Kubeflow)."""
    entry = dict(head, json=json.dumps(whole, separators=(",", ":"), ensure_ascii=False))
    for name, value in values.items():
        entry["v_" + name] = canonical(value)
        entry["j_" + name] = json.dumps(value, ensure_ascii=False)
        if escaped:
            entry["e_" + name] = json.dumps(canonical(value), ensure_ascii=False)[1:-1]
    return entry


def sweep_trials(sweep):
    """A sweep's trials: literal (random, drawn at compile time) or the grid's product."""
    if "trials" in sweep:
        return sweep["trials"]
    names = [g[0] for g in sweep["grid"]]
    return [dict(zip(names, combo)) for combo in itertools.product(*[g[1] for g in sweep["grid"]])]


def index_entries(items):
    """index.json of a collection: [{key, path}] sorted by path."""
    return sorted(({"key": item, "path": key} for key, item in items), key=lambda e: e["path"])


def main():
    out = os.environ.get("MLC_OUT", "/tmp/mlc")
    os.makedirs(out, exist_ok=True)
    dims = json.loads(os.environ.get("MLC_DIMS", "[]"))
    for d in dims:
        if "values" not in d:
            d["values"] = json.loads(os.environ[d["env"]])
    try:
        items = expand(dims) if dims else [("", {})]
    except ValueError as exc:
        sys.exit(f"mlc: {exc}")
    escaped = os.environ.get("MLC_ESCAPED") == "1"
    with open(os.path.join(out, "items"), "w", encoding="utf-8") as fh:
        json.dump([flat({"key": k}, i, i, escaped) for k, i in items], fh, separators=(",", ":"))
    count = 0
    for name, sweep in json.loads(os.environ.get("MLC_SWEEPS", "{}")).items():
        trials = sweep_trials(sweep)
        count += len(trials)
        with open(os.path.join(out, "trials-" + name), "w", encoding="utf-8") as fh:
            json.dump([flat({"index": str(i)}, t, {"index": i, "values": t}, escaped)
                   for i, t in enumerate(trials)], fh, separators=(",", ":"))
    for directory in json.loads(os.environ.get("MLC_INDEX_DIRS", "[]")):
        os.makedirs(os.path.join(out, directory), exist_ok=True)
        with open(os.path.join(out, directory, "index.json"), "w", encoding="utf-8") as fh:
            json.dump(index_entries(items), fh, indent=2)
    print(f"{len(items)} item(s), {count} trial(s)")


if __name__ == "__main__":
    main()
