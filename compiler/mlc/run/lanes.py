"""Lanes: the worker processes that run tasks for `mlc run --parallel N` (N >= 2).

A worker thread of the scheduler hands each task it picks to its own lane, a process forked
from mlc before any other thread exists, and books the result the lane sends back. The lane
runs the task as a worker thread would (the same `Scheduler._run_task`: folder, config, env,
cache, attempts, gate) with an interpreter of its own. Two threads of one process share one GIL:
measured on 10,000 tasks of `true` (docs/run.md, "Lanes"), the Python each task needs then runs
one task at a time, and `--parallel 2` in threads took 1.2-1.35x the wall time of `xargs -P 2`.

What a lane is told and tells (JSON lines):
- a request: tasks of one step, up to 64 (their item keys, items, trials, trial values), and
  what the scheduler learnt since the lane was forked that they may read (value outputs of
  finished steps, the items of a fan-in's producer). A worker takes several tasks at once only
  while the step has many more left than workers: each request costs two wake-ups;
- an answer a task, as each ends: status, message, attempts, the stderr log's path, whether a
  gate failed, the lines for run.log (the parent writes run.log and the progress; a lane writes
  only task folders). Before each task the lane reads the run's `Halt` byte: after a failure or
  an interrupt, the tasks it has not started come back unstarted.

Signals: the parent decides. A lane ignores SIGINT, SIGTERM and SIGHUP (Ctrl-C at a terminal
reaches the whole process group); SIGUSR1 from the parent stops it as Ctrl-C stops a run, and a
second SIGUSR1 kills its tasks at once (`Executor.stop_all`). A lane whose parent has gone reads
the end of its request pipe after the task it runs and exits. The parent closes a lane's pipe
when its worker thread ends and waits for the lane: no process stays behind.

Lanes need fork(2) and a parent with one thread (forking a threaded process can copy a lock some
other thread holds); elsewhere the tasks run in the worker threads themselves.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

FLUSH_S = 0.02  # a lane sends what ended at most this long after it ended (or at once)
STOP = signal.SIGUSR1 if hasattr(signal, "SIGUSR1") else None
IGNORED = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


class LaneLost(Exception):
    """The lane ended or its pipe broke before it answered."""


class Lane:
    """The parent's end of one lane."""

    def __init__(self, pid: int, requests: int, results: int) -> None:
        self.pid = pid
        self.requests = requests  # fd: the parent writes requests here
        self.results = os.fdopen(results, "rb")
        self.sent_values: set[str] = set()  # value outputs the lane knows
        self.sent_items: set[str] = set()   # producers whose items the lane knows
        self.closed = False

    def send(self, request: dict) -> None:
        data = memoryview(json.dumps(request, separators=(",", ":")).encode("utf-8") + b"\n")
        try:
            while data:
                data = data[os.write(self.requests, data):]
        except OSError as exc:
            raise LaneLost(f"mlc's worker process is gone: {exc}") from None

    def answers(self) -> list:
        """The next answers, in the order of the request's tasks: a line holds those that
        ended since the last (FLUSH_S)."""
        try:
            line = self.results.readline()
        except OSError as exc:
            raise LaneLost(f"mlc's worker process is gone: {exc}") from None
        if not line:
            raise LaneLost(f"mlc's worker process ended ({self._exit_text()})")
        return json.loads(line)

    def stop(self) -> None:
        """Ask the lane to stop its task as Ctrl-C would (again: kill it at once)."""
        if not self.closed and STOP is not None:
            try:
                os.kill(self.pid, STOP)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        """No more requests: the lane ends after its task; wait for it."""
        if self.closed:
            return
        self.closed = True
        os.close(self.requests)
        while True:
            try:
                os.waitpid(self.pid, 0)
                break
            except ChildProcessError:
                break
            except KeyboardInterrupt:  # a second Ctrl-C while the lane ends its task
                try:
                    os.kill(self.pid, STOP)
                except ProcessLookupError:
                    pass
        self.results.close()  # after the lane's end: a reader gets EOF, not a closed file

    def _exit_text(self) -> str:
        """How the lane ended, once the kernel has finished ending it (up to a second after
        its pipe closed)."""
        import time

        for _ in range(100):
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return "already reaped"
            if pid:
                break
            time.sleep(0.01)
        else:
            return "its pipe closed"
        self.closed = True
        code = os.waitstatus_to_exitcode(status)
        return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


class Halt:
    """One byte that parent and lanes share (an anonymous shared mapping, made before the
    forks): set when the run fails or is interrupted, read by a lane before each task it starts,
    so that nothing new starts, as in the worker threads, without a system call a task."""

    def __init__(self) -> None:
        import mmap

        self.byte = mmap.mmap(-1, 1)

    def set(self) -> None:
        self.byte[0] = 1

    def __bool__(self) -> bool:
        return self.byte[0] == 1


def start_lanes(count: int, serve: Callable[[dict, Callable[[dict], None]], None],
                stop: Callable[[], None]) -> list[Lane]:
    """Fork `count` lanes; [] where lanes cannot be used (no fork, or other threads exist).
    In a lane, `serve(request, answer)` runs each request's tasks and calls `answer` once a
    task; `stop` runs when the parent sends STOP."""
    if count < 2 or not hasattr(os, "fork") or STOP is None or \
            threading.active_count() != 1:
        return []
    lanes: list[Lane] = []
    watched = {STOP, *IGNORED}
    # no signal may reach a lane before its handlers are set: blocked around each fork
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    try:
        for _ in range(count):
            req_r, req_w = os.pipe()
            res_r, res_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the lane: never returns
                code = 70
                try:
                    for lane in lanes:  # the other lanes' pipes: their EOF must not wait on us
                        os.close(lane.requests)
                        os.close(lane.results.fileno())
                    os.close(req_w)
                    os.close(res_r)
                    code = _lane(req_r, res_w, serve, stop, previous)
                finally:
                    os._exit(code)
            os.close(req_r)
            os.close(res_w)
            lanes.append(Lane(pid, req_w, res_r))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return lanes


def _lane(requests: int, results: int, serve: Callable, stop: Callable[[], None],
          mask: Any) -> int:
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    for sig in IGNORED:  # a handler, not SIG_IGN: exec resets it, so the tasks get defaults
        signal.signal(sig, lambda signum, frame: None)
    signal.signal(STOP, interrupt)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # the tasks inherit the mask

    def answer(data: list) -> None:
        view = memoryview(json.dumps(data, separators=(",", ":")).encode("utf-8") + b"\n")
        while view:
            view = view[os.write(results, view):]

    failed: list[int] = []

    def work() -> None:
        with os.fdopen(requests, "rb") as reader:
            try:
                for line in reader:
                    serve(json.loads(line), answer)
            except BrokenPipeError:  # the parent has gone
                return
            except Exception as exc:  # noqa: BLE001 - a bug: the parent reports the exit code
                if os.environ.get("MLC_DEBUG"):
                    import traceback

                    traceback.print_exception(exc)
                failed.append(70)

    worker = Worker(work, "mlc-lane")
    worker.start()
    worker.wait(stop)  # STOP ends the running attempt; a second STOP kills it at once
    return failed[0] if failed else 0


class Worker(threading.Thread):
    """A thread whose end can be waited for through Ctrl-C. (After a KeyboardInterrupt inside
    `Thread.join`, CPython 3.11 can take a thread that still runs for one that has ended, bpo-45274's
    fix releasing the lock the thread holds; an Event has no such trap.)"""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.work = target
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.work()
        finally:
            self.done.set()

    def wait(self, interrupted: Callable[[], None]) -> None:
        """Until the thread has ended; `interrupted` runs at each Ctrl-C meanwhile."""
        while not self.done.is_set():
            try:
                self.done.wait()
            except KeyboardInterrupt:
                interrupted()
