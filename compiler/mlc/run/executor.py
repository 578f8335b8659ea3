"""Run one attempt as a process group (SPEC 12): logs, timeout, kill, secret masking.

Logs go straight to files (no pipes, no threads) unless the step can see secrets; then both
streams are read line by line and every secret value is replaced with `***` before it touches
the disk.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

KILL_AFTER_S = 10.0


@dataclass
class Attempt:
    status: str           # ok | failed | timeout | interrupted
    returncode: int | None
    seconds: float
    message: str = ""


class Executor:
    """Spawns attempts and remembers their process groups, so all can be ended at once."""

    def __init__(self) -> None:
        self._groups: dict[int, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self, command: list[str], env: dict[str, str], cwd: Path, stdout: Path,
            stderr: Path, timeout_s: int | None, mask: list[str]) -> Attempt:
        start = time.monotonic()
        if self.stopping.is_set():
            return Attempt("interrupted", None, 0.0, "interrupted before it started")
        with open(stdout, "ab") as out, open(stderr, "ab") as err:
            try:
                proc = subprocess.Popen(
                    command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE if mask else out,
                    stderr=subprocess.PIPE if mask else err, start_new_session=True)
            except OSError as exc:
                err.write(f"mlc: cannot start: {exc}\n".encode())
                return Attempt("failed", None, time.monotonic() - start, str(exc))
            with self._lock:
                self._groups[proc.pid] = proc
            readers = _mask_streams(proc, out, err, mask) if mask else []
            try:
                status = self._wait(proc, timeout_s)
            finally:
                for reader in readers:
                    reader.join()
                with self._lock:
                    self._groups.pop(proc.pid, None)
        seconds = time.monotonic() - start
        if status == "timeout":
            return Attempt("timeout", proc.returncode, seconds,
                           f"timed out after {timeout_s}s (SIGTERM, then SIGKILL)")
        if self.stopping.is_set() and proc.returncode != 0:
            return Attempt("interrupted", proc.returncode, seconds, "interrupted")
        if proc.returncode == 0:
            return Attempt("ok", 0, seconds)
        return Attempt("failed", proc.returncode, seconds, f"exit code {proc.returncode}")

    def _wait(self, proc: subprocess.Popen, timeout_s: int | None) -> str:
        try:
            proc.wait(timeout=timeout_s)
            return "done"
        except subprocess.TimeoutExpired:
            terminate_group(proc)
            return "timeout"

    def stop_all(self) -> None:
        """Ctrl-C: end every running attempt, group and all; leave no process behind."""
        self.stopping.set()
        with self._lock:
            procs = list(self._groups.values())
        threads = [threading.Thread(target=terminate_group, args=(p,)) for p in procs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def terminate_group(proc: subprocess.Popen, grace: float = KILL_AFTER_S) -> None:
    """SIGTERM to the whole group, SIGKILL `grace` seconds later if anything is left."""
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc.poll() is not None and not _group_alive(proc.pid):
            return
        time.sleep(0.05)
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
