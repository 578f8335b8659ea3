"""Run one attempt as a process group (SPEC 12): logs, timeout, kill, secret masking.

Attempts start with `os.posix_spawn` (vfork-style: cheap from a large parent) in a new session,
so each is a process group of its own; a pidfd gives an exact wait with a timeout. Logs go
straight to files unless the step can see secrets; then both streams are read line by line and
every secret value is replaced with `***` before it touches the disk. Where posix_spawn or pidfd
is missing, subprocess.Popen does the same.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

KILL_AFTER_S = 10.0
FAST = hasattr(os, "posix_spawn") and hasattr(os, "pidfd_open") and hasattr(os, "POSIX_SPAWN_OPEN")


@dataclass
class Attempt:
    status: str           # ok | failed | timeout | interrupted
    returncode: int | None
    seconds: float
    message: str = ""


class Executor:
    """Spawns attempts and remembers their process groups, so all can be ended at once."""

    def __init__(self) -> None:
        self._groups: set[int] = set()
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self, command: list[str], env: dict[str, str], cwd: Path, stdout: Path,
            stderr: Path, timeout_s: int | None, mask: list[str]) -> Attempt:
        start = time.monotonic()
        if self.stopping.is_set():
            return Attempt("interrupted", None, 0.0, "interrupted before it started")
        if FAST and not mask:
            code, timed_out = self._spawned(command, env, cwd, stdout, stderr, timeout_s)
        else:
            code, timed_out = self._popen(command, env, cwd, stdout, stderr, timeout_s, mask)
        seconds = time.monotonic() - start
        if code is None:
            return Attempt("failed", None, seconds, "cannot start the command")
        if timed_out:
            return Attempt("timeout", code, seconds,
                           f"timed out after {timeout_s}s (SIGTERM, then SIGKILL)")
        if self.stopping.is_set() and code != 0:
            return Attempt("interrupted", code, seconds, "interrupted")
        if code == 0:
            return Attempt("ok", 0, seconds)
        return Attempt("failed", code, seconds, f"exit code {code}")

    # -- fast path --------------------------------------------------------------------------
    def _spawned(self, command, env, cwd, stdout, stderr, timeout_s):
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, str(stdout), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                    0o644),
                   (os.POSIX_SPAWN_OPEN, 2, str(stderr), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                    0o644)]
        program = command[0]
        if "/" not in program:
            program = _which(program, env.get("PATH", os.defpath), cwd)
            if program is None:
                with open(stderr, "a", encoding="utf-8") as fh:
                    fh.write(f"mlc: command not found: {command[0]}\n")
                return None, False
        try:
            pid = _spawn_in(cwd, program, command, env, actions)
        except OSError as exc:
            with open(stderr, "a", encoding="utf-8") as fh:
                fh.write(f"mlc: cannot start: {exc}\n")
            return None, False
        with self._lock:
            self._groups.add(pid)
        try:
            fd = os.pidfd_open(pid)
            try:
                poller = select.poll()
                poller.register(fd, select.POLLIN)
                ready = poller.poll(None if timeout_s is None else timeout_s * 1000)
            finally:
                os.close(fd)
            timed_out = not ready
            if timed_out:
                _terminate(pid)
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status), timed_out
        finally:
            with self._lock:
                self._groups.discard(pid)

    # -- portable path (and masking) --------------------------------------------------------
    def _popen(self, command, env, cwd, stdout, stderr, timeout_s, mask):
        with open(stdout, "ab") as out, open(stderr, "ab") as err:
            try:
                proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE if mask else out,
                                        stderr=subprocess.PIPE if mask else err,
                                        start_new_session=True)
            except OSError as exc:
                err.write(f"mlc: cannot start: {exc}\n".encode())
                return None, False
            with self._lock:
                self._groups.add(proc.pid)
            readers = _mask_streams(proc, out, err, mask) if mask else []
            timed_out = False
            try:
                try:
                    proc.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    _terminate(proc.pid)
                    proc.wait()
            finally:
                for reader in readers:
                    reader.join()
                with self._lock:
                    self._groups.discard(proc.pid)
            return proc.returncode, timed_out

    def stop_all(self) -> None:
        """Ctrl-C: end every running attempt, group and all; leave no process behind."""
        self.stopping.set()
        with self._lock:
            groups = list(self._groups)
        threads = [threading.Thread(target=_terminate, args=(pgid,)) for pgid in groups]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _spawn_in(cwd: Path, program: str, command: list[str], env: dict, actions: list) -> int:
    """posix_spawn has no working-directory option before Python 3.13: the child inherits the
    runner's, which `run_local` sets to the project for the whole run (all its paths are
    absolute). Anywhere else, this refuses rather than run a command in the wrong place."""
    if os.getcwd() != os.fspath(cwd):
        raise OSError(f"the runner's working directory is not {cwd}")
    return os.posix_spawn(program, command, env, file_actions=actions, setsid=True)


def _which(name: str, path: str, cwd: Path) -> str | None:
    for directory in path.split(os.pathsep):
        candidate = os.path.join(directory or ".", name)
        if not os.path.isabs(candidate):
            candidate = os.path.join(cwd, candidate)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def _terminate(pgid: int, grace: float = KILL_AFTER_S) -> None:
    """SIGTERM to the whole group, SIGKILL `grace` seconds later if anything is left."""
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _group_alive(pgid):
            return
        time.sleep(0.05)
    _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    """Is any process of the group still running (zombies not counted)?"""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else []:
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return not os.path.isdir("/proc")


def _mask_streams(proc: subprocess.Popen, out, err, mask: list[str]) -> list[threading.Thread]:
    secrets = sorted({s for s in mask if s}, key=len, reverse=True)
    secrets += [line for s in secrets if "\n" in s for line in s.split("\n") if len(line) >= 4]

    def pump(stream, sink) -> None:
        for line in iter(stream.readline, b""):
            text = line.decode("utf-8", "replace")
            for secret in secrets:
                text = text.replace(secret, "***")
            sink.write(text.encode("utf-8"))
            sink.flush()
        stream.close()

    threads = [threading.Thread(target=pump, args=(proc.stdout, out), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, err), daemon=True)]
    for t in threads:
        t.start()
    return threads
