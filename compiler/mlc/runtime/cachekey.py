"""The cache key of SPEC 6.7: sha256 of a canonical encoding of everything a task depends on,
including the content of its input artifacts. Standard library only.

As a script: MLC_CACHE, the JSON array [material, input names]: the material (the static part
and the dynamic values) and the names of the input artifacts, the nth of which is at
MLC_INPUTS/<n> (/mlc/inputs by default); writes `key` under MLC_OUT.
"""

import hashlib
import json
import os


def tree_digest(path):
    """sha256 over sorted relative paths and file contents (a file: its bytes)."""
    digest = hashlib.sha256()
    if os.path.isfile(path):
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            digest.update(rel.encode("utf-8") + b"\0" + tree_digest(full).encode() + b"\n")
    return digest.hexdigest()


def cache_key(material, inputs):
    """material: JSON-able; inputs: {name: path}. An input that is not there is an error: a
    key computed without it could match nothing the step would be right to reuse."""
    missing = sorted(name for name, path in inputs.items() if not os.path.exists(path))
    if missing:
        raise FileNotFoundError(f"input artifact(s) not found: {', '.join(missing)}")
    hashes = {name: tree_digest(path) for name, path in sorted(inputs.items())}
    blob = json.dumps({"material": material, "inputs": hashes}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def main():
    out = os.environ.get("MLC_OUT", "/tmp/mlc")
    os.makedirs(out, exist_ok=True)
    material, names = json.loads(os.environ["MLC_CACHE"])
    folder = os.environ.get("MLC_INPUTS", "/mlc/inputs")
    key = cache_key(material, {name: os.path.join(folder, str(n)) for n, name in enumerate(names)})
    with open(os.path.join(out, "key"), "w", encoding="utf-8") as fh:
        fh.write(key)
    print(key)


if __name__ == "__main__":
    main()
