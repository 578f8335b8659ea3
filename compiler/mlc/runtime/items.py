"""Fan-out items (SPEC 6.1, 6.4): the cartesian product of foreach dimensions, item keys,
and the compile-time sweep trials. Standard library only.

As a script: MLC_DIMS (JSON list of {name, values?, bound?, only?, env?}) where a dimension
without `values` reads its list from the file named by `<env>_FILE`, else from the environment
variable named by `env`; MLC_SWEEPS
({name: {"trials": [...]}} for random sweeps drawn at compile time, or {name: {"grid": [[hp,
values], ...]}} expanded here, last fastest, exactly as at compile time); MLC_INDEX_DIRS (JSON
list of directories to receive index.json). Writes `items` and `trials-<name>` (JSON lists)
under MLC_OUT.

Child runs (SPEC 10): MLC_CHUNKS ({step: {"per": "outer"|"chunk", "size": n}}) also cuts the
items into contiguous runs, in item order: one per outermost item, or as few chunks of at most
`size` items as hold them all, of sizes that differ by at most one. Each chunk's entries go to
`mlc-chunks/<step>/<i>.json` and their names to `chunks-<step>` (a JSON list, what the parent
launches children over); in each child, runtime/chunk.py reads its chunk back.
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


def cut(items, per, size):
    """[(start, end)] of contiguous chunks: per outermost item (the first dimension's value),
    or as few chunks of at most `size` items as hold them, their sizes within one."""
    if per == "outer":
        bounds, start = [], 0
        for i in range(1, len(items) + 1):
            if i == len(items) or items[i][0].split("/", 1)[0] != items[start][0].split("/", 1)[0]:
                bounds.append((start, i))
                start = i
        return bounds
    count = -(-len(items) // size)
    base, extra = divmod(len(items), count)
    bounds, start = [], 0
    for i in range(count):
        end = start + base + (1 if i < extra else 0)
        bounds.append((start, end))
        start = end
    return bounds


def write_chunks(out, entries, items, chunks):
    """mlc-chunks/<step>/<i>.json and chunks-<step>, for each step split into child runs."""
    for step, spec in chunks.items():
        directory = os.path.join(out, "mlc-chunks", step)
        os.makedirs(directory, exist_ok=True)
        names = []
        for i, (start, end) in enumerate(cut(items, spec["per"], spec["size"])):
            names.append(str(i))
            with open(os.path.join(directory, f"{i}.json"), "w", encoding="utf-8") as fh:
                fh.write("[" + ",".join(entries[start:end]) + "]")
        with open(os.path.join(out, "chunks-" + step), "w", encoding="utf-8") as fh:
            json.dump(names, fh, separators=(",", ":"))


def main():
    out = os.environ.get("MLC_OUT", "/tmp/mlc")
    os.makedirs(out, exist_ok=True)
    dims = json.loads(os.environ.get("MLC_DIMS", "[]"))
    for d in dims:
        if "values" not in d:
            path = os.environ.get(d["env"] + "_FILE")
            if path:
                with open(path, encoding="utf-8") as fh:
                    d["values"] = json.load(fh)
            else:
                d["values"] = json.loads(os.environ[d["env"]])
    try:
        items = expand(dims) if dims else [("", {})]
    except ValueError as exc:
        sys.exit(f"mlc: {exc}")
    escaped = os.environ.get("MLC_ESCAPED") == "1"
    entries = [json.dumps(flat({"key": k}, i, i, escaped), separators=(",", ":"))
               for k, i in items]
    with open(os.path.join(out, "items"), "w", encoding="utf-8") as fh:
        fh.write("[" + ",".join(entries) + "]")
    chunks = json.loads(os.environ.get("MLC_CHUNKS", "{}"))
    if chunks:
        write_chunks(out, entries, items, chunks)
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
