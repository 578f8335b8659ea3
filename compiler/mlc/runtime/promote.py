"""Promote the best trial's outputs to the item's outputs (SPEC 6.4). Standard library only.

As a script: MLC_PROMOTE (JSON list of {"src", "dst"}), MLC_BEST_PARAMS and MLC_TRIALS_SUMMARY
(JSON; or MLC_TRIALS_SUMMARY_FILE, a file holding it, as a long summary cannot be one
environment string), MLC_BEST_PARAMS_PATH and MLC_TRIALS_PATH (where to write them).
"""

import json
import os
import shutil


def promote(pairs):
    for pair in pairs:
        src, dst = pair["src"], pair["dst"]
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copyfile(src, dst)


def main():
    promote(json.loads(os.environ["MLC_PROMOTE"]))
    for env, path_env in (("MLC_BEST_PARAMS", "MLC_BEST_PARAMS_PATH"),
                          ("MLC_TRIALS_SUMMARY", "MLC_TRIALS_PATH")):
        path = os.environ.get(path_env)
        if path:
            source = os.environ.get(env + "_FILE")
            if source:
                with open(source, encoding="utf-8") as fh:
                    text = fh.read()
            else:
                text = os.environ[env]
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)


if __name__ == "__main__":
    main()
