"""Progress people can follow: a live table on a terminal (rich), plain lines otherwise, and a
summary with the gate decisions at the end. Everything goes to stderr."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO


class Plain:
    """One line per event worth seeing, for logs and CI; while a step runs, a progress line at
    least every 10 s (MLC_PROGRESS_EVERY seconds), so a long fan-out is never silent."""

    periodic = True

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.active: dict[str, Any] = {}
        self.every = float(os.environ.get("MLC_PROGRESS_EVERY", "10"))
        self.stopped = threading.Event()
        self.ticker: threading.Thread | None = None

    def _tick(self) -> None:
        while not self.stopped.wait(self.every):
            for state in list(self.active.values()):
                self.line(progress_text(state))

    def line(self, text: str) -> None:
        with self.lock:
            self.stream.write(f"[{time.monotonic() - self.start:7.1f}s] {text}\n")
            self.stream.flush()

    def step_started(self, state: Any) -> None:
        tasks = len(state.tasks)
        items = len({t.key for t in state.tasks})
        shape = f" ({items} item(s) x {tasks // items} trial(s))" if items and tasks > items else ""
        self.line(f"{state.name}: started, {tasks} task(s){shape}")
        self.active[state.name] = state
        if self.periodic and self.ticker is None:
            self.ticker = threading.Thread(target=self._tick, name="mlc-progress", daemon=True)
            self.ticker.start()

    def task_started(self, state: Any, task: Any) -> None:
        pass

    def task_finished(self, state: Any, task: Any) -> None:
        if task.status == "failed":
            self.line(failure_text(task))
        elif len(state.tasks) > 1 and (len(state.tasks) <= 20 or
                                       task.status not in ("succeeded", "cached")):
            self.line(f"{task.label()}: {task.status}")

    def step_finished(self, state: Any) -> None:
        self.active.pop(state.name, None)
        c = state.counts()
        self.line(f"{state.name}: {state.status} ({c['total']} item(s): {c['succeeded']} ran, "
                  f"{c['cached']} cached)")

    def step_failed(self, state: Any) -> None:
        self.active.pop(state.name, None)
        self.line(f"{state.name}: FAILED: {state.message}")

    def deploy(self, state: Any, decision: dict) -> None:
        verdict = "rendered" if decision["proceed"] else "blocked"
        self.line(f"{state.name}: gate {decision['passed']}/{decision['items']} passed "
                  f"(min_pass_rate {decision['min_pass_rate']}): {verdict}")

    def close(self) -> None:
        self.stopped.set()


CONDITION_TEXT = {"min": ">=", "max": "<="}


def gate_failure_text(decision: dict) -> str:
    """The failed gates of a gates.json, with the values: `roc_auc on holdout 0.62, needs >=
    0.7`; change conditions name the baseline and the change."""
    parts = []
    for gate in decision["gates"]:
        if gate["status"] != "fail":
            continue
        for cond in gate["conditions"]:
            if cond["status"] != "fail":
                continue
            what = f"{gate['metric']} on {gate['dataset']} {gate['candidate']:g}"
            if cond["kind"] in CONDITION_TEXT:
                parts.append(f"{what}, needs {CONDITION_TEXT[cond['kind']]} {cond['threshold']:g}")
            else:
                parts.append(f"{what} against baseline {gate['baseline']:g}, needs "
                             f"{cond['kind']} {cond['threshold']:g}")
    return "; ".join(parts) or "gates failed"


def progress_text(state: Any) -> str:
    """`train: 3/250 item(s) done, 301/25000 trial(s) done (2 cached, 0 failed), 2 running`."""
    c = state.counts()
    done = c["succeeded"] + c["cached"] + c["failed"] + c["skipped"]
    text = f"{state.name}: {done}/{c['total']} item(s) done"
    if state.per_item > 1:
        tally = state.tally
        trials = tally["succeeded"] + tally["cached"] + tally["failed"]
        text += f", {trials}/{len(state.tasks)} trial(s) done"
    return text + f" ({c['cached']} cached, {c['failed']} failed), {state.running} running"


class Live(Plain):
    """A table of steps (done, running, failed, cached, current item), redrawn in place."""

    periodic = False  # the table is the progress

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        super().__init__(stream)
        from rich.console import Console
        from rich.live import Live as RichLive

        self.states: dict[str, Any] = {}
        self.current: dict[str, str] = {}
        self.drawn, self.gap = 0.0, 0.1
        self.console = Console(file=stream)
        self.live = RichLive(self._table(), console=self.console, refresh_per_second=8,
                             transient=False)
        self.live.start()

    def _table(self):
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for column in ("step", "status", "done", "running", "failed", "cached", "total",
                       "current"):
            table.add_column(column, justify="left" if column in ("step", "status",
                                                                  "current") else "right")
        for name, state in self.states.items():
            c = state.counts()
            table.add_row(name, state.status, str(c["succeeded"]), str(state.running),
                          str(c["failed"]), str(c["cached"]), str(c["total"] or ""),
                          self.current.get(name, ""))
        return table

    def refresh(self) -> None:
        with self.lock:
            began = time.monotonic()
            self.live.update(self._table())
            self.drawn = time.monotonic()
            # Counting a sweep's items passes over every trial: however big the step, drawing
            # takes at most a twentieth of the time, and the workers keep the rest.
            self.gap = max(0.1, 20 * (self.drawn - began))

    def _soon(self) -> None:
        """Task events come by the thousand: redraw at most at the screen's refresh rate."""
        if time.monotonic() - self.drawn >= self.gap:
            self.refresh()

    def line(self, text: str) -> None:
        with self.lock:
            self.live.console.print(text, markup=False, highlight=False)

    def step_started(self, state: Any) -> None:
        self.states[state.name] = state
        self.refresh()

    def task_started(self, state: Any, task: Any) -> None:
        self.current[state.name] = " ".join(filter(None, [task.key, None if task.trial is None
                                                          else f"trial={task.trial}"]))
        self._soon()

    def task_finished(self, state: Any, task: Any) -> None:
        if task.status == "failed":
            super().task_finished(state, task)
        self._soon()

    def step_finished(self, state: Any) -> None:
        self.current.pop(state.name, None)
        self.refresh()

    def step_failed(self, state: Any) -> None:
        self.states[state.name] = state
        super().step_failed(state)

    def deploy(self, state: Any, decision: dict) -> None:
        self.states[state.name] = state
        super().deploy(state, decision)

    def close(self) -> None:
        self.refresh()
        self.live.stop()


def failure_text(task: Any) -> str:
    """What failed, why, and the end of what it wrote to stderr."""
    text = f"{task.label()}: FAILED after {task.attempts} attempt(s): {task.message}"
    log = getattr(task, "stderr", None)
    log = Path(log) if log is not None else None
    if log is not None and log.is_file():
        lines = log.read_text(encoding="utf-8", errors="replace").split("\n")
        tail = [line.rstrip() for line in lines
                if line.strip() and not line.startswith("--- mlc: attempt")][-6:]
        if tail:
            text += "\n" + "\n".join("    | " + line for line in tail)
        text += f"\n    log: {log}"
    return text


def reporter(stream: TextIO = sys.stderr) -> Plain:
    return Live(stream) if stream.isatty() else Plain(stream)


def summary(record: dict, folder: str, gates: dict[str, str], deploys: set = frozenset()) -> str:
    """The end-of-run summary: each step, its items, the gate decisions, the run folder."""
    lines = [f"run {record['run_id']}: {record['status']}"
             + (f" ({record['reason']})" if record["reason"] else "")]
    width = max((len(n) for n in record["steps"]), default=4)
    for name, step in record["steps"].items():
        c = step["items"]
        detail = f"{c['succeeded']} ran, {c['cached']} cached, {c['failed']} failed, " \
                 f"{c['skipped']} skipped" if c["total"] else ""
        if name in deploys:
            detail = f"{c['succeeded']} of {c['total']} model(s) rendered, not applied"
        lines.append(f"  {name.ljust(width)}  {step['status']:<9} {detail}")
        if name in gates:
            first, *more = gates[name].split("\n")
            lines.append(f"  {' ' * width}  gate: {first}")
            lines += [f"  {' ' * width}    {line}" for line in more]
    lines.append(f"run folder: {folder}")
    return "\n".join(lines) + "\n"


SHOWN_FAILURES = 5


def gate_lines(folders: Any, states: dict) -> dict[str, str]:
    """For evaluate steps, `2/3 item(s) passed` and, one line each, the items whose gates
    failed and by how much; only items whose gates ran count (an evaluate command that broke
    its metrics contract failed before any gate). For deploy steps, the decision."""
    out = {}
    for name, state in states.items():
        plan = state.plan
        if getattr(plan, "type", None) == "evaluate" and state.tasks:
            ran, passed, failures = 0, 0, []
            for key, _ in state.items:
                record = folders.task_dir(name, key) / "gates.json"
                if not record.is_file():
                    continue
                ran += 1
                decision = json.loads(record.read_text(encoding="utf-8"))
                if decision["passed"]:
                    passed += 1
                else:
                    failures.append((key, decision))
            if not ran:
                out[name] = "not evaluated (the step failed before its gates ran)"
                continue
            lines = [f"{passed}/{ran} item(s) passed" +
                     (f" ({len(state.items) - ran} not evaluated)" if ran < len(state.items)
                      else "")]
            for key, decision in failures[:SHOWN_FAILURES]:
                lines.append(f"{key + ': ' if key else ''}{gate_failure_text(decision)}")
            if len(failures) > SHOWN_FAILURES:
                lines.append(f"... and {len(failures) - SHOWN_FAILURES} more (gates.json of "
                             "each item)")
            out[name] = "\n".join(lines)
        decision = folders.step_dir(name) / "decision.json"
        if hasattr(plan, "endpoint") and decision.is_file():
            d = json.loads(decision.read_text())
            out[name] = (f"{d['passed']}/{d['items']} passed, min_pass_rate {d['min_pass_rate']}"
                         f": {'deploy ' + str(len(d['deployed_items'])) if d['proceed'] else 'blocked'}")
    return out
