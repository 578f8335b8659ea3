"""A child run's items (SPEC 10): the chunk file that runtime/items.py cut for it (an artifact,
at MLC_CHUNK_IN) becomes the `items` list its fan-out loops over, under MLC_OUT. Standard
library only.
"""

import json
import os
import sys


def main():
    out = os.environ.get("MLC_OUT", "/tmp/mlc")
    path = os.environ["MLC_CHUNK_IN"]
    try:
        with open(path, encoding="utf-8") as fh:
            entries = json.load(fh)
    except (OSError, ValueError) as exc:
        sys.exit(f"mlc: cannot read the chunk {path}: {exc}")
    if not isinstance(entries, list) or not entries or \
            not all(isinstance(e, dict) and isinstance(e.get("key"), str) for e in entries):
        sys.exit(f"mlc: the chunk {path} is not a non-empty list of items")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "items"), "w", encoding="utf-8") as fh:
        json.dump(entries, fh, separators=(",", ":"))
    print(f"{len(entries)} item(s) in this chunk: {entries[0]['key']} .. {entries[-1]['key']}")


if __name__ == "__main__":
    main()
