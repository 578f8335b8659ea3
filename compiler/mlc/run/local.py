"""A local run of a plan: run folder, log, scheduler, record and summary (SPEC 12)."""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..plan import DimSource, Plan, params_payload
from ..record import MutableRecord
from ..runtime.items import item_problem
from ..runtime.run_info import resolve, run_date
from .cache import Cache
from .executor import Executor
from .folders import Folders, new_run_id, os_problem
from .progress import gate_lines, reporter, summary
from .scheduler import Scheduler, run_record, save_record
from .tasks import Context


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a CI cancel, `docker stop`, a closed terminal): the run stops as at
    Ctrl-C (SPEC 12), and exits 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def stop_on_signals():
    """While a run runs, SIGTERM and SIGHUP raise `Stopped` in the main thread, as SIGINT
    raises KeyboardInterrupt; the previous handlers come back afterwards. Yields a list that
    holds the number of the signal that stopped the run, if any."""
    caught: list[int] = []

    def stop(signum, frame):
        if not caught:
            caught.append(signum)
        raise Stopped(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, stop)
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass(eq=False, repr=False)
class RunOutcome(MutableRecord):
    record: dict
    folder: Path
    summary: str
    signum: int | None = None  # SIGTERM or SIGHUP that stopped it

    @property
    def exit_code(self) -> int:
        if self.record["reason"] == "interrupted":
            return 128 + self.signum if self.signum else 130
        return 0 if self.record["status"] == "succeeded" else 1


def step_environment(environ: dict[str, str]) -> dict[str, str]:
    """The environment steps start from (SPEC 12): the caller's, minus inherited `MLC_*`;
    when mlc runs from a virtual environment that is not the activated one (`.venv/bin/mlc
    run`), that environment's `bin` goes first on PATH, as `uv run` and `poetry run` do, so
    `python` in a command has the project's packages."""
    env = {k: v for k, v in environ.items() if not k.startswith("MLC_")}
    if sys.prefix != sys.base_prefix:  # a virtual environment
        here = os.path.dirname(sys.executable)
        path = env.get("PATH", os.defpath).split(os.pathsep)
        if not path or os.path.realpath(path[0]) != os.path.realpath(here):
            env["PATH"] = os.pathsep.join([here] + [p for p in path if p])
    return env


def run_fields(run_id: str | None, timezone: str) -> dict[str, str]:
    """run.id (given or `YYYYMMDDTHHMMSSZ-<6 hex>`), run.date in `timezone`, run.started_at."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"id": run_id or new_run_id(now), "date": run_date(now, timezone),
            "started_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}


def run_local(plan: Plan, project: Path, *, params: dict[str, Any], run: dict[str, str],
              parallel: int, no_cache: bool, secrets_dir: Path, stream: Any) -> RunOutcome:
    """Run `plan` with typed `params` and `run` fields; the record and the summary text."""
    run_id = run["id"]
    folders = Folders(project, run_id)
    folders.root.mkdir(parents=True, exist_ok=True)  # claimed by api.run
    log_lock = threading.Lock()
    log_file = open(folders.root / "run.log", "a", encoding="utf-8")

    problems: dict[str, str] = {}  # file -> why it could not be written (a full disk)

    def log(text: str) -> None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S")
        with log_lock:
            try:
                log_file.write(f"{stamp} {text}\n")
                log_file.flush()
            except OSError as exc:
                problems.setdefault("run.log", os_problem(exc))

    base_env = step_environment(dict(os.environ))
    ctx = Context(folders, Executor(), params, run, secrets_dir, base_env,
                  Cache(folders.cache, not no_cache), log)
    profile = f"profile {plan.profile}" if plan.profile else "no profile"
    log(f"run {run_id} of {plan.project} ({profile}), {parallel} in parallel")
    python = shutil.which("python", path=base_env.get("PATH")) or "none on PATH"
    log(f"steps run with `python` = {python} (mlc runs on {sys.executable})")
    scheduler = Scheduler(plan, ctx, parallel, None)
    previous = os.getcwd()
    os.chdir(project)  # commands run here (SPEC 12); every path of the run is absolute
    report = None
    try:
        scheduler.start_lanes()  # forked while mlc has one thread: before the live view's
        report = scheduler.reporter = reporter(stream)
        with stop_on_signals() as caught:
            scheduler.run()
    finally:
        os.chdir(previous)
        scheduler.close_lanes()
        if report is not None:
            report.close()
        finished = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = run_record(plan, scheduler, params, run["started_at"], finished, run_id)
        try:
            save_record(folders.root / "run.json", record)
        except OSError as exc:
            problems["run.json"] = os_problem(exc)
        for state in scheduler.states.values():
            if state.message:
                log(state.message if state.message.startswith(state.name) else
                    f"{state.name}: {state.message}")
        log(f"run {record['status']}" + (f" ({record['reason']})" if record["reason"] else ""))
        try:
            log_file.close()
        except OSError as exc:
            problems.setdefault("run.log", os_problem(exc))
    text = summary(record, os.path.relpath(folders.root), gate_lines(folders, scheduler.states),
                   set(plan.deploys))
    for name, why in sorted(problems.items()):
        text += f"mlc: {name} could not be written: {why}\n"
    return RunOutcome(record, folders.root, text, caught[0] if caught else None)


def typed_params(plan: Plan, given: dict[str, str], run: dict[str, str]) -> dict[str, Any]:
    """--param K=V values typed per param (SPEC 12), defaults filled in; ValueError if bad."""
    from ..runtime.run_info import parse_value

    specs = params_payload(plan.params)
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise ValueError(f"unknown param '{unknown[0]}' (params: {', '.join(specs) or 'none'})")
    for name, text in given.items():
        parse_value(name, specs[name], text)
    values = resolve(specs, {n: given.get(n) for n in specs}, run)
    for step in plan.steps.values():  # a list that feeds foreach holds items (SPEC 6.4)
        for dim in step.dims:
            if dim.source is DimSource.PARAM and dim.param in given:
                problem = item_problem(values[dim.param])
                if problem:
                    raise ValueError(f"param {dim.param}: {problem}")
    return values
