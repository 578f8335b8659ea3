"""Write modes (black's WriteBack): write, check, diff, stdout; and the atomic swap.

`<out>/<target>/` is owned by `mlc compile`: it is replaced as a whole. The new tree is written
to a sibling temporary directory and exchanged with the old one in a single `renameat2`
(RENAME_EXCHANGE) on Linux, so a crash or kill leaves either the old tree or the new one, never
a mix or a half-written file.
"""

from __future__ import annotations

import difflib
import enum
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..record import MutableRecord


class WriteMode(enum.Enum):
    WRITE = "write"
    CHECK = "check"
    DIFF = "diff"
    STDOUT = "stdout"

    @classmethod
    def from_flags(cls, check: bool, diff: bool, stdout: bool) -> WriteMode:
        if diff:
            return cls.DIFF
        if check:
            return cls.CHECK
        if stdout:
            return cls.STDOUT
        return cls.WRITE


@dataclass(eq=False, repr=False)
class WriteResult(MutableRecord):
    """What writing an output directory did, or would do."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    written: bool = False
    # the old and new bytes of each file that differs, kept for `diff` (unified text of a
    # 2 MB file takes longer than compiling it, so it is made only when something prints it)
    pairs: dict[str, tuple[bytes | None, bytes | None]] = field(default_factory=dict)
    label: str = ""

    @property
    def stale(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def diff(self) -> str:
        chunks = []
        for name, (a, b) in self.pairs.items():
            chunks.extend(difflib.unified_diff(
                _lines(a), _lines(b),
                fromfile=f"a/{self.label}/{name}" if a is not None else "/dev/null",
                tofile=f"b/{self.label}/{name}" if b is not None else "/dev/null"))
        return "".join(chunks)


def existing(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir():
        return {}
    out = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            out[path.relative_to(directory).as_posix()] = path.read_bytes()
    return out


def compare(directory: Path, files: dict[str, bytes], label: str) -> WriteResult:
    old = existing(directory)
    result = WriteResult(label=label)
    result.added = sorted(set(files) - set(old))
    result.removed = sorted(set(old) - set(files))
    result.changed = sorted(n for n in set(files) & set(old) if files[n] != old[n])
    for name in sorted(set(files) | set(old)):
        a, b = old.get(name), files.get(name)
        if a != b:
            result.pairs[name] = (a, b)
    return result


def _lines(data: bytes | None) -> list[str]:
    return data.decode("utf-8", "replace").splitlines(keepends=True) if data is not None else []


def apply(directory: Path, files: dict[str, bytes], mode: WriteMode, label: str) -> WriteResult:
    """Compare `files` with `directory`; in WRITE mode replace it atomically when different."""
    result = compare(directory, files, label)
    if mode is WriteMode.WRITE and (result.stale or not directory.is_dir()):
        replace_tree(directory, files)
        result.written = True
    return result


def replace_tree(directory: Path, files: dict[str, bytes]) -> None:
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    for leftover in parent.glob(f".{directory.name}.mlc-*"):
        shutil.rmtree(leftover, ignore_errors=True)  # from an earlier crash
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.mlc-", dir=parent))
    try:
        for name, data in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o755)
        if directory.exists() and _exchange(tmp, directory):
            shutil.rmtree(tmp)
            return
        if directory.exists():
            old = tmp.with_name(tmp.name + "-old")
            os.rename(directory, old)
            os.rename(tmp, directory)
            shutil.rmtree(old)
        else:
            os.rename(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unavailable."""
    import ctypes  # only when a changed tree replaces an existing one (2 ms of every start)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0
