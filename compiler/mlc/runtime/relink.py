"""Outputs of a cached step, copied into this run (issue 17, item 1). Standard library only.

On a cache hit Argo creates no pod and restores the node's outputs as they were stored: artifact
locations under the run that computed them. The steps after it read this run's keys, so a
relink task, run only on a hit, downloads the restored artifacts (MLC_RELINK_IN/<n>) and puts
them where this run's outputs belong (MLC_OUT/relink/<n>, uploaded to this run's keys).
"""

import os
import shutil
import sys


def main():
    source = os.environ.get("MLC_RELINK_IN", "/tmp/mlc/relink-in")
    target = os.path.join(os.environ.get("MLC_OUT", "/tmp/mlc"), "relink")
    os.makedirs(target, exist_ok=True)
    copied = 0
    for name in sorted(os.listdir(source)) if os.path.isdir(source) else []:
        src, dst = os.path.join(source, name), os.path.join(target, name)
        try:
            if os.path.isdir(src):
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
        except OSError as exc:
            sys.exit(f"mlc: cannot copy the cached output {name}: {exc}")
        copied += 1
    print(f"{copied} cached output(s) copied into this run")


if __name__ == "__main__":
    main()
