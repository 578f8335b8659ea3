"""Pack a fan-out's collected artifacts into one collection (SPEC 6.2, 8: Kubeflow). Standard
library only.

As a script: MLC_EXECUTOR_INPUT (KFP's executor input, `{{$}}`: the collected artifacts of
input `items`, already downloaded by KFP's launcher to its local paths), MLC_ITEMS (JSON list
of each item's `{"key", "item"}` text, in the same order) and MLC_PACKED (the output
artifact's path). Writes MLC_PACKED/<item key>/... and MLC_PACKED/index.json, the layout every
other target gives a collection.
"""

import json
import os
import shutil

# Where KFP's launcher puts a downloaded artifact (backend/src/v2/component: LocalPathForURI).
LOCAL = (("gs://", "/gcs/"), ("minio://", "/minio/"), ("s3://", "/s3/"))


def local_path(uri):
    for scheme, root in LOCAL:
        if uri.startswith(scheme):
            return root + uri[len(scheme):]
    return uri


def pack(paths, items, dst):
    """Copy each item's artifact to dst/<key>; return index.json's entries (sorted by path)."""
    if len(paths) != len(items):
        raise ValueError(f"{len(paths)} artifacts for {len(items)} items")
    os.makedirs(dst, exist_ok=True)
    entries = []
    for path, item in zip(paths, items):
        target = os.path.join(dst, item["key"])
        if os.path.isdir(path):
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(path, target)
        entries.append({"key": item["item"], "path": item["key"]})
    return sorted(entries, key=lambda e: e["path"])


def main():
    executor = json.loads(os.environ["MLC_EXECUTOR_INPUT"])
    artifacts = executor["inputs"]["artifacts"]["items"]["artifacts"]
    items = [json.loads(text) for text in json.loads(os.environ["MLC_ITEMS"])]
    dst = os.environ["MLC_PACKED"]
    entries = pack([local_path(a["uri"]) for a in artifacts], items, dst)
    with open(os.path.join(dst, "index.json"), "w", encoding="utf-8") as fh:
        json.dump(entries, fh, indent=2)
    print(f"packed {len(entries)} item(s)")


if __name__ == "__main__":
    main()
