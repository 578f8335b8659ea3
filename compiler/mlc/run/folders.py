"""The run folder (SPEC 12) and what lives in it: run ids, task directories, staged inputs.

```
.mlc/runs/<run-id>/run.json, run.log
  steps/<step>/[<item key>/][trials/trial=<n>/]config.json, stdout.log, stderr.log,
                                               outputs/<o>, inputs/<i>, gates.json
.mlc/cache/<key>/outputs/..., meta.json
```
"""

from __future__ import annotations

import datetime
import json
import os
import re
from pathlib import Path

RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
SAFE_PATH = re.compile(r"[A-Za-z0-9._/=%-]+\Z")


def new_run_id(now: datetime.datetime) -> str:
    """`YYYYMMDDTHHMMSSZ-<6 hex>` (SPEC 12)."""
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(3).hex()


class Folders:
    """Paths of one run, relative to the project (the mlc file's directory)."""

    def __init__(self, project: Path, run_id: str) -> None:
        self.project = project
        self.run_id = run_id
        self.root = project / ".mlc" / "runs" / run_id
        self.cache = project / ".mlc" / "cache"
        self._steps = str(self.root / "steps")

    def task_dir(self, step: str, item_key: str = "", trial: int | None = None) -> Path:
        return Path(self.task_path(step, item_key, trial))

    def task_path(self, step: str, item_key: str = "", trial: int | None = None) -> str:
        """The task's folder as text: a run of thousands of tasks builds no Path for each."""
        path = f"{self._steps}/{step}"
        if item_key:
            path += f"/{item_key}"
        if trial is not None:
            path += f"/trials/trial={trial}"
        return path

    def step_dir(self, step: str) -> Path:
        return self.root / "steps" / step

    def shell_path(self, path: Path) -> str:
        """A path for shell text (SPEC 5.4: chosen from [A-Za-z0-9._/=%-]): absolute when it
        is safe, else relative to the working directory (the project)."""
        absolute = str(path)
        if SAFE_PATH.match(absolute):
            return absolute
        relative = os.path.relpath(path, self.project)
        if SAFE_PATH.match(relative):
            return relative
        raise ValueError(f"no shell-safe path for {path}")


def write_json(path: Path, data: object, *, indent: int | None = 2) -> None:
    """Write JSON atomically (a killed run never leaves a half-written record)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=indent, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half file behind
        raise


def os_problem(exc: OSError) -> str:
    """An OSError as a person reads it: what went wrong, and where (shutil's copytree gathers
    its errors in a list of (source, destination, reason))."""
    import shutil

    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        src, dst, why = exc.args[0][0]
        reason = re.match(r"\[Errno \d+\] ([^:']+)", str(why))
        return f"{reason[1].strip() if reason else why}: {dst}"
    if exc.filename:
        return f"{exc.strerror or exc}: {exc.filename}"
    return str(exc)


def stage_input(target: Path, source: Path) -> None:
    """An input staged by a symbolic link to the producer's output (read, not copied)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        target.unlink()
    os.symlink(source, target)


def stage_collection(target: Path, entries: list[tuple[str, dict, Path]]) -> None:
    """A fan-in input (SPEC 6.2): a directory of `<item key>` entries and index.json."""
    target.mkdir(parents=True, exist_ok=True)
    index = []
    for key, item, source in entries:
        stage_input(target / key, source)
        index.append({"key": item, "path": key})
    write_json(target / "index.json", sorted(index, key=lambda e: e["path"]))
