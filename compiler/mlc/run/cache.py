"""The local cache (SPEC 6.7): `.mlc/cache/<key>/` holds a task's outputs and when they were
made. The key is the same function the targets use (runtime/cachekey.py).

Only a task that succeeded is stored. An entry is written to a temporary directory and renamed
into place, `meta.json` last inside it, so a killed run never leaves an entry a later run would
trust: a lookup sees a whole entry or none. An entry being replaced (it expired) is first
renamed aside, so a run reading it at that moment never sees it half-deleted. An entry whose
meta.json cannot be read is a miss, not an error."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from ..runtime.cachekey import cache_key


class Cache:
    def __init__(self, root: Path, enabled: bool) -> None:
        self.root = root
        self.enabled = enabled

    def key(self, material: dict, inputs: dict[str, Path]) -> str:
        return cache_key(material, {k: str(v) for k, v in inputs.items()})

    def _entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def _created(self, key: str) -> float | None:
        """When the entry at `key` was made, or None: no entry, or not one mlc wrote."""
        try:
            created = float(json.loads((self._entry(key) / "meta.json").read_text(
                encoding="utf-8"))["created"])
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return created if (self._entry(key) / "outputs").is_dir() else None

    def lookup(self, key: str, max_age_s: int | None) -> Path | None:
        """The outputs directory of a fresh entry, or None."""
        if not self.enabled:
            return None
        created = self._created(key)
        if created is None or (max_age_s is not None and time.time() - created > max_age_s):
            return None
        return self._entry(key) / "outputs"

    def fetch(self, key: str, max_age_s: int | None, outputs: Path) -> bool:
        """Give a task its outputs from a fresh entry, as copies (a reflink where the file system
        has one): a step that writes into an input it reads never reaches the entry (SPEC 6.7).
        False, with `outputs` absent, on a miss: no entry, an expired one, or one another run
        replaced while it was being read."""
        import shutil

        found = self.lookup(key, max_age_s)
        if found is None:
            return False
        created = self._created(key)
        if outputs.exists():
            shutil.rmtree(outputs)
        try:
            shutil.copytree(found, outputs, copy_function=_copy)
        except OSError:
            pass
        else:
            if self._created(key) == created:  # still the entry that was read: it is whole
                return True
        shutil.rmtree(outputs, ignore_errors=True)
        return False

    def store(self, key: str, outputs: Path, step: str) -> None:
        import shutil

        if not self.enabled:
            return
        entry = self._entry(key)
        mine = f"{os.getpid()}-{threading.get_ident()}"  # this run's, this worker's
        tmp, old = (entry.with_name(f"{entry.name}.{what}{mine}") for what in ("tmp", "old"))
        for leftover in (tmp, old):  # of a killed run that had the same pid
            shutil.rmtree(leftover, ignore_errors=True)
        try:
            if outputs.is_dir():
                shutil.copytree(outputs, tmp / "outputs", symlinks=False)
            else:  # a step without outputs: only its success is remembered
                (tmp / "outputs").mkdir(parents=True)
            (tmp / "meta.json").write_text(json.dumps({"created": time.time(), "step": step}),
                                           encoding="utf-8")
        except OSError:  # a full disk: nothing half-written stays in the cache
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        try:
            os.replace(entry, old)  # an expired entry: aside in one step, deleted below
        except FileNotFoundError:
            pass
        try:
            os.replace(tmp, entry)
        except OSError:  # another run stored it first: theirs is as good
            shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


FICLONE = 0x40049409  # linux/fs.h: share the blocks, copy on write (btrfs, xfs, bcachefs)


_reflinks: dict[int, bool] = {}  # device -> whether FICLONE worked there


def _copy(src: str, dst: str) -> None:
    """A copy that nothing written to `dst` can change `src` through: a reflink where the file
    system has one (no data copied), else a kernel copy (shutil's sendfile path). Whether a
    device reflinks is learnt once, so a file system without them pays no failed attempts."""
    import shutil

    device = os.stat(src).st_dev
    if _reflinks.get(device, True):
        try:
            import fcntl

            with open(src, "rb") as fin, open(dst, "wb") as fout:
                fcntl.ioctl(fout.fileno(), FICLONE, fin.fileno())
            shutil.copystat(src, dst)
            _reflinks[device] = True
            return
        except (OSError, ImportError):
            _reflinks[device] = False
    shutil.copy2(src, dst)
