"""Run one attempt as a process group (SPEC 12): logs, timeout, kill, secret masking.

The scheduler's worker threads call `Executor.run`, one attempt each. An attempt starts in a new
session, so it is a process group of its own, with vfork() (cheap from a large parent); the
worker waits with poll() on the attempt's pidfd with the step's timeout. The command starts as
subprocess starts one (`restore_signals`): SIGPIPE and SIGXFSZ, which Python ignores, are back
to their defaults, so `yes | head -1` ends quietly.

Two ways to start it, the same child either way:
- On CPython 3.11 to 3.13, `_posixsubprocess.fork_exec`, the call subprocess.Popen makes,
  without Popen's Python around it. It lets go of the GIL while the vfork()ed child execs
  (CPython gh-104372), so both workers' spawns overlap: 10,000 tasks of `true` take about a
  tenth less wall time than with `os.posix_spawn`, which holds the GIL for the whole exec
  (see docs/run.md, "Speed"). Its arguments are positional and private to CPython, so it is
  used only on the versions whose order is known here, and a TypeError (which it raises
  before it forks) turns it off for the rest of the run.
- Elsewhere on Linux, `os.posix_spawn`.

A step that can see secrets gets pipes instead of log files: the same poll reads them, and
every secret value becomes `***`, line by line, before it touches the disk. Where posix_spawn
or pidfd is missing (macOS), subprocess.Popen starts the attempt and a small thread turns its
exit into a readable pipe, so the wait is the same.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..record import MutableRecord

if TYPE_CHECKING:
    import subprocess

KILL_AFTER_S = 10.0
FAST = (hasattr(os, "posix_spawn") and hasattr(os, "pidfd_open")
        and hasattr(os, "POSIX_SPAWN_OPEN") and hasattr(os, "POSIX_SPAWN_DUP2"))
APPEND = os.O_WRONLY | os.O_CREAT | os.O_APPEND
# ignored by Python at start-up, inherited through exec: subprocess's restore_signals
DEFAULT_SIGNALS = tuple(getattr(signal, n) for n in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, n))


try:
    import _posixsubprocess
except ImportError:  # not CPython, or not POSIX
    _posixsubprocess = None
# fork_exec's positional arguments are those of subprocess.py's call in these versions
FORK_EXEC = _posixsubprocess is not None and (3, 11) <= sys.version_info[:2] <= (3, 13)


def _os_spawn(path: str, argv: list[str], env: dict[str, str], stdio: tuple[int, int, int]
              ) -> int:
    """posix_spawn(3); the child takes `stdio` as its fds 0, 1 and 2, and the runner's working
    directory (checked by the caller). A runner started with 0, 1 or 2 closed may have opened a
    log there: such an fd is first copied above 2, so one dup2 cannot overwrite another."""
    high = list(stdio)
    if min(stdio) <= 2:
        import fcntl

        high = [fd if fd > 2 else fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3) for fd in stdio]
    try:
        actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(high)]
        return os.posix_spawn(path, argv, env, file_actions=actions, setsid=True,
                              setsigdef=DEFAULT_SIGNALS)
    finally:
        for fd, given in zip(high, stdio):
            if fd != given:
                os.close(fd)


def _fork_exec(path: str, argv: list[str], env: list[bytes], cwd: str,
               stdio: tuple[int, int, int]) -> int:
    """What subprocess.Popen(argv, executable=path, env=..., cwd=cwd, stdin/stdout/stderr=stdio,
    start_new_session=True, close_fds=False) does, less its Python: the child's exec error, if
    any, comes back through a pipe, as in Popen."""
    errpipe_read, errpipe_write = os.pipe()
    try:
        try:
            pid = _posixsubprocess.fork_exec(
                argv, [os.fsencode(path)], False, (), cwd, env,
                stdio[0], -1, -1, stdio[1], -1, stdio[2], errpipe_read, errpipe_write,
                True, True, -1, None, None, None, -1, None, True)
        finally:
            os.close(errpipe_write)
        error = os.read(errpipe_read, 50_000)
    finally:
        os.close(errpipe_read)
    if error:  # the child has exited with 255; read as subprocess reads it
        os.waitpid(pid, 0)
        try:  # b"OSError:<errno in hex>:" after execve failed, ":noexec" after chdir failed
            _, number, message = error.split(b":", 2)
            errno = int(number, 16)
        except ValueError:
            raise OSError(f"the child reported {error!r}") from None
        if not errno:
            raise OSError(message.decode("utf-8", "replace"))
        raise OSError(errno, os.strerror(errno), cwd if message == b"noexec" else path)
    return pid


_DEVNULL: list[int] = []


def _devnull() -> int:
    """/dev/null, opened once (close-on-exec): every child's stdin."""
    if not _DEVNULL:
        _DEVNULL.append(os.open(os.devnull, os.O_RDONLY))
    return _DEVNULL[0]


SPAWN = _os_spawn  # seams for the tests
FORK_EXEC_SPAWN = _fork_exec


@dataclass(eq=False, repr=False)
class Attempt(MutableRecord):
    status: str           # ok | failed | timeout | interrupted
    returncode: int | None
    seconds: float
    message: str = ""


class _CannotStart(Exception):
    pass


class _Masked:
    """A pipe's bytes, every secret replaced, appended to a log file as they come.

    Linear in time and bounded in memory whatever the lines (tqdm writes one endless line of
    `\r` updates): a chunk is written up to the last place no secret can span, which keeps at
    most about two secrets' length back for the next chunk. Bytes are matched as bytes, so a
    log that is not UTF-8 is kept as it was written."""

    def __init__(self, sink: int, secrets: list[str]) -> None:
        self.sink = sink
        self.secrets = [s.encode("utf-8") for s in secrets]  # longest first
        self.keep = max((len(s) for s in self.secrets), default=1) - 1
        self.pending = b""

    def feed(self, data: bytes) -> None:
        if not data:  # end of file: what is left
            if self.pending:
                self._write(self.pending)
            os.close(self.sink)
            return
        data = self.pending + data  # pending is at most ~2 secrets long: a bounded copy
        cut = self._safe_cut(data, len(data) - self.keep)
        self.pending = data[cut:]
        if cut:
            self._write(data[:cut])

    def _safe_cut(self, data: bytes, cut: int) -> int:
        """`cut`, moved back to the start of any secret that would straddle it."""
        moved = True
        while moved and cut > 0:
            moved = False
            for secret in self.secrets:
                n = len(secret)
                at = data.rfind(secret, max(0, cut - n + 1), cut + n - 1)
                if at != -1 and at < cut < at + n:
                    cut, moved = at, True
        return max(cut, 0)

    def _write(self, chunk: bytes) -> None:
        for secret in self.secrets:
            chunk = chunk.replace(secret, b"***")
        os.write(self.sink, chunk)


class _Started:
    """A running attempt: its pid, the fd that becomes readable when it ends, masked pipes."""

    def __init__(self, pid: int, exit_fd: int, popen: subprocess.Popen | None = None) -> None:
        self.pid = pid
        self.exit_fd = exit_fd
        self.popen = popen
        self.streams: dict[int, _Masked] = {}

    def returncode(self) -> int:
        if self.popen is not None:
            return self.popen.wait()
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


class Executor:
    """Spawns attempts and remembers their process groups, so all can be ended at once."""

    def __init__(self) -> None:
        self._groups: set[int] = set()
        self._lock = threading.Lock()
        self._programs: dict[tuple, str] = {}  # (name, PATH, cwd) -> the program found
        self._encoded: dict[str, tuple[str, bytes]] = {}  # env name -> (value, b"name=value")
        self.stopping = threading.Event()

    def run(self, command: list[str], env: dict[str, str], cwd: Path, stdout: Path,
            stderr: Path, timeout_s: int | None, mask: list[str]) -> Attempt:
        start = time.monotonic()
        if self.stopping.is_set():
            return Attempt("interrupted", None, 0.0, "interrupted before it started")
        secrets = _mask_list(mask)
        try:
            if FAST:
                # a pidfd only where the wait is more than waitpid(): a deadline, or pipes
                started = self._spawn(command, env, cwd, stdout, stderr, secrets,
                                      pidfd=timeout_s is not None or bool(secrets))
            else:
                started = self._popen(command, env, cwd, stdout, stderr, secrets)
        except _CannotStart as exc:
            with open(stderr, "a", encoding="utf-8") as fh:
                fh.write(f"mlc: {exc}\n")
            return Attempt("failed", None, time.monotonic() - start, "cannot start the command")
        with self._lock:
            self._groups.add(started.pid)
            missed = self.stopping.is_set()  # stop_all ran between the spawn and now
        if missed:
            _signal_group(started.pid, signal.SIGTERM)
        try:
            timed_out = _wait(started, None if timeout_s is None else start + timeout_s)
            code = started.returncode()
            if _group_alive(started.pid):  # what the command left running (`sleep 15 &`)
                _terminate(started.pid)
        finally:
            with self._lock:
                self._groups.discard(started.pid)
        seconds = time.monotonic() - start
        if timed_out:
            return Attempt("timeout", code, seconds,
                           f"timed out after {timeout_s}s (SIGTERM, then SIGKILL)")
        if self.stopping.is_set() and code != 0:
            return Attempt("interrupted", code, seconds, "interrupted")
        if code == 0:
            return Attempt("ok", 0, seconds)
        return Attempt("failed", code, seconds, f"exit code {code}")

    def stop_all(self) -> None:
        """Ctrl-C: end every running attempt, group and all; leave no process behind. SIGTERM,
        then SIGKILL 10 s later, or at once on a second Ctrl-C."""
        with self._lock:
            self.stopping.set()
            groups = list(self._groups)
        for pgid in groups:
            _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + KILL_AFTER_S
        try:
            while time.monotonic() < deadline and any(_group_alive(g) for g in groups):
                time.sleep(0.05)
        except KeyboardInterrupt:
            pass
        for pgid in groups:
            if _group_alive(pgid):
                _signal_group(pgid, signal.SIGKILL)

    # -- starting ---------------------------------------------------------------------------
    def _spawn(self, command, env, cwd, stdout, stderr, secrets, pidfd=True) -> _Started:
        program = command[0]
        if "/" not in program:
            where = (program, env.get("PATH", os.defpath), cwd)
            program = self._programs.get(where) or _which(*where)
            if program is None:
                raise _CannotStart(f"command not found: {command[0]}")
            self._programs[where] = program
        if not FORK_EXEC and os.getcwd() != os.fspath(cwd):
            # posix_spawn has no working-directory option before Python 3.13: the child
            # inherits the runner's, which run_local sets to the project for the whole run.
            # (fork_exec's child changes to `cwd` itself.)
            raise _CannotStart(f"cannot start: the runner's working directory is not {cwd}")
        # the child's fds 1 and 2 (and 0, /dev/null, opened once): opened here, close-on-exec,
        # closed once it has started
        pipes: list[tuple[int, int, Path]] = []
        opened: list[int] = []
        try:
            if secrets:
                for log in (stdout, stderr):
                    r, w = os.pipe()
                    pipes.append((r, w, log))
                    opened.append(w)
            else:
                opened.append(os.open(stdout, APPEND, 0o644))
                opened.append(os.open(stderr, APPEND, 0o644))
            pid = self._start(program, command, env, cwd, (_devnull(), opened[0], opened[1]))
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in an argument or value
            for r, _, _ in pipes:
                os.close(r)
            raise _CannotStart(f"cannot start: {exc}") from None
        finally:
            for fd in opened:
                os.close(fd)
        try:
            exit_fd = os.pidfd_open(pid) if pidfd else -1
        except OSError as exc:  # out of file descriptors: end the child rather than lose it
            _signal_group(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            for r, _, _ in pipes:
                os.close(r)
            raise _CannotStart(f"cannot wait for the command: {exc}") from None
        started = _Started(pid, exit_fd)
        for r, _, log in pipes:
            started.streams[r] = _Masked(os.open(log, APPEND, 0o644), secrets)
        return started

    def _start(self, program: str, command: list[str], env: dict[str, str], cwd: Path,
               stdio: tuple[int, int, int]) -> int:
        global FORK_EXEC
        if FORK_EXEC:
            try:
                return FORK_EXEC_SPAWN(program, command, self._env_list(env), os.fspath(cwd),
                                       stdio)
            except TypeError:  # its arguments are not this CPython's: it has not forked
                FORK_EXEC = False
        return SPAWN(program, command, env, stdio)

    def _env_list(self, env: dict[str, str]) -> list[bytes]:
        """`env` as execve(2) takes it. Most values are the same objects task after task (the
        run's environment), so their encoding is kept, checked by identity."""
        known, out = self._encoded, []
        for name, value in env.items():
            hit = known.get(name)
            if hit is None or hit[0] is not value:
                if "=" in name or not name:
                    raise ValueError(f"illegal environment variable name: {name!r}")
                if "\0" in name or "\0" in value:
                    raise ValueError("embedded null byte")
                hit = known[name] = (value, os.fsencode(name) + b"=" + os.fsencode(value))
            out.append(hit[1])
        return out

    def _popen(self, command, env, cwd, stdout, stderr, secrets) -> _Started:
        import subprocess

        with open(stdout, "ab") as out, open(stderr, "ab") as err:
            try:
                popen = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE if secrets else out,
                                         stderr=subprocess.PIPE if secrets else err,
                                         start_new_session=True)
            except (OSError, ValueError) as exc:  # ValueError: a NUL byte
                raise _CannotStart(f"cannot start: {exc}") from None
        r, w = os.pipe()  # the waiter closes w when the process has ended: r reads EOF

        def waiter() -> None:
            popen.wait()
            os.close(w)

        threading.Thread(target=waiter, daemon=True).start()
        started = _Started(popen.pid, r, popen)
        for stream, log in ((popen.stdout, stdout), (popen.stderr, stderr)):
            if stream is not None:
                started.streams[os.dup(stream.fileno())] = _Masked(os.open(log, APPEND, 0o644),
                                                                   secrets)
                stream.close()
        return started


def _wait(started: _Started, deadline: float | None) -> bool:
    """Wait until the attempt has ended and its pipes are drained; on the deadline, SIGTERM
    the group and SIGKILL it 10 s later if anything is left. True when it timed out."""
    if started.exit_fd < 0:  # no deadline, no pipes: waitpid in returncode() is the wait
        return False
    poller = select.poll()
    open_fds = {started.exit_fd, *started.streams}
    for fd in open_fds:
        poller.register(fd, select.POLLIN)
    timed_out = False
    try:
        while open_fds:
            timeout = None if deadline is None or timed_out else \
                max(0, int((deadline - time.monotonic()) * 1000) + 1)
            events = poller.poll(timeout)
            if not events and not timed_out and deadline is not None \
                    and time.monotonic() >= deadline:
                timed_out = True
                _terminate(started.pid)
                continue
            for fd, _ in events:
                if fd == started.exit_fd and started.streams:
                    # the command ended; background processes it left may hold the pipes
                    # open: they end with the task (SPEC 12), so the pipes close
                    _terminate(started.pid)
                if fd in started.streams:
                    data = os.read(fd, 65536)
                    started.streams[fd].feed(data)
                    if data:
                        continue
                    del started.streams[fd]
                poller.unregister(fd)
                open_fds.discard(fd)
                os.close(fd)
    finally:
        for fd in open_fds:
            os.close(fd)
        for masked in started.streams.values():
            os.close(masked.sink)
    return timed_out


def _mask_list(mask: list[str]) -> list[str]:
    if not mask:  # most steps see no secret
        return []
    secrets = sorted({s for s in mask if s}, key=len, reverse=True)
    return secrets + [line for s in secrets if "\n" in s for line in s.split("\n")
                      if len(line) >= 4]


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
    if not os.path.isdir("/proc"):
        return True
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False
