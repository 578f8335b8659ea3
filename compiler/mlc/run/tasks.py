"""One task of a local run: a step for one item (and trial): values, env, config, attempts."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..plan import (PathKind, PathSlot, Slot, SlotKind, StepPlan, StrText, canonical,
                    fill_json, json_template)
from ..plan.values import credentials_as
from ..record import MutableRecord
from ..runtime import gates as gate_rules
from .executor import Attempt, Executor
from .folders import Folders, write_json
from .outputs import problem


class TaskFailed(Exception):
    """The task cannot start (a missing secret key, an unusable path)."""


@dataclass(eq=False, repr=False)
class Task(MutableRecord):
    step: str
    key: str = ""
    item: dict = field(default_factory=dict)
    trial: int | None = None
    trial_values: dict | None = None
    status: str = "pending"  # pending running succeeded failed cached skipped
    attempts: int = 0
    message: str = ""
    stderr: str | None = None  # the path of its stderr.log

    def label(self) -> str:
        parts = [self.step] + ([self.key] if self.key else [])
        if self.trial is not None:
            parts.append(f"trial={self.trial}")
        return " ".join(parts)


@dataclass(eq=False, repr=False)
class Context(MutableRecord):
    """What every task of the run shares."""

    folders: Folders
    executor: Executor
    params: dict[str, Any]
    run: dict[str, str]
    secrets_dir: Path
    base_env: dict[str, str]
    cache: Any
    log: Any  # callable(str)
    value_outputs: dict[str, Any] = field(default_factory=dict)  # "step.output" -> value
    # step -> its config.json with holes for the task's values (secret markers written in)
    configs: dict[str, tuple] = field(default_factory=dict)
    # step -> its env variables in order: (name, the text when the same for every task, var)
    envs: dict[str, tuple] = field(default_factory=dict)


# Slots whose value is the same in every task of a run: resolved once per step, not per task
RUN_CONSTANT = frozenset((SlotKind.PARAM, SlotKind.PARAM_JSON, SlotKind.RUN, SlotKind.RUN_JSON,
                          SlotKind.RUN_OBJECT, SlotKind.TARGET, SlotKind.LOCAL_PATH))


def _constant(text: tuple) -> bool:
    return all(type(p) is str or (isinstance(p, Slot) and p.kind in RUN_CONSTANT) for p in text)


class TaskRunner:
    """Everything needed to run `task` of `step`."""

    def __init__(self, ctx: Context, step: StepPlan, task: Task, staged: dict[str, Path]) -> None:
        self.ctx = ctx
        self.step = step
        self.task = task
        # text, not Paths, on the path every task takes (bench/run.py: thousands of tasks)
        self.base = base = ctx.folders.task_path(step.name, task.key, task.trial)
        self.stdout_log, self.stderr_log = base + "/stdout.log", base + "/stderr.log"
        self.config_path = base + "/config.json"
        self.staged = staged
        task.stderr = self.stderr_log
        self.secret_values: list[str] = []

    @functools.cached_property
    def dir(self) -> Path:
        return Path(self.base)

    @functools.cached_property
    def outputs(self) -> Path:
        return Path(self.base + "/outputs")

    # -- values ----------------------------------------------------------------------------
    def value(self, slot: Slot) -> Any:
        """A slot's value in this task: one case per SlotKind (tests/unit/plan)."""
        return VALUE_OF[slot.kind](self, slot)

    def path(self, slot: PathSlot) -> Path:
        if slot.kind is PathKind.INPUT:
            return self.staged[slot.name]
        return self.outputs / slot.name

    def text(self, text: tuple, shell: bool = False) -> str:
        out = []
        for piece in text:
            if isinstance(piece, Slot):
                out.append(canonical(self.value(piece)))
            elif isinstance(piece, PathSlot):
                path = self.path(piece)
                out.append(self.ctx.folders.shell_path(path) if shell else str(path))
            else:
                out.append(piece)
        return "".join(out)

    # -- preparation ------------------------------------------------------------------------
    def config_text(self) -> str:
        """config.json (SPEC 6.2) as one line: the step's template, built once, with this
        task's values filled in (json's C encoder wrote the rest)."""
        template = self.ctx.configs.get(self.step.name)
        if template is None:  # the same for every task of the step
            template = self.ctx.configs[self.step.name] = json_template(
                self._marked(), self._run_constant_json)
        return fill_json(template, self.value, lambda p: str(self.path(p)))

    def _run_constant_json(self, hole: Any) -> str | None:
        """A hole's JSON when every task of the run has the same (params, run, target)."""
        if isinstance(hole, Slot) and hole.kind in RUN_CONSTANT:
            return json.dumps(self.value(hole), ensure_ascii=False)
        if isinstance(hole, StrText) and _constant(hole.text):
            return json.dumps(self.text(hole.text), ensure_ascii=False)
        return None

    def _marked(self) -> Any:
        """The step's config with each credentials reference replaced by its marker."""
        secrets = self.ctx.secrets_dir
        return credentials_as(self.step.config, lambda c: {"secret": c.secret,
                                                           "path": str(secrets / c.store)})

    def environment(self) -> dict[str, str]:
        env = dict(self.ctx.base_env)
        plan = self.ctx.envs.get(self.step.name)
        if plan is None:  # which values are the same for every task of the step
            plan = self.ctx.envs[self.step.name] = tuple(
                (var.name, self.text(var.value), None) if var.secret is None and
                _constant(var.value) else (var.name, None, var) for var in self.step.env)
        for name, fixed, var in plan:
            if var is None:
                env[name] = fixed
            elif var.secret is not None:
                env[name] = self._secret(*var.secret)
            else:
                env[name] = self.text(var.value)
        for mount in self.step.secret_mounts:
            directory = self.ctx.secrets_dir / mount.store
            if not directory.is_dir():
                raise TaskFailed(f"secret '{mount.store}' not found in {self.ctx.secrets_dir}")
            for key in sorted(directory.iterdir()):
                if key.is_file():
                    self.secret_values.append(key.read_text(encoding="utf-8").strip())
        env["MLC_STEP_CONFIG"] = self.config_path
        return env

    def _secret(self, store: str, key: str) -> str:
        path = self.ctx.secrets_dir / store / key
        if not path.is_file():
            raise TaskFailed(f"secret key {store}/{key} not found in {self.ctx.secrets_dir}")
        value = path.read_text(encoding="utf-8").rstrip("\n")
        self.secret_values.append(value)
        return value

    def command(self) -> list[str]:
        if self.step.shell is not None:
            return ["/bin/sh", "-c", self.text(self.step.shell, shell=True)]
        return [self.text(a) for a in self.step.argv]

    def fresh_outputs(self, attempt: int) -> None:
        """An empty outputs folder with every directory output created (SPEC 6.1)."""
        if attempt > 1 and self.outputs.exists():
            import shutil

            shutil.rmtree(self.outputs)
        if not self.step.outputs:
            return
        self.outputs.mkdir(parents=True)
        for out in self.step.outputs:
            if out.directory and not out.by_mlc:
                (self.outputs / out.name).mkdir()

    # -- attempts (the scheduler's event loop drives them) -----------------------------------
    def begin(self, attempt: int) -> None:
        """Before attempt `attempt` (1-based): fresh outputs; on a step that may retry, a line
        in both logs marks where the attempt begins."""
        self.task.attempts = attempt
        self.fresh_outputs(attempt)
        if self.step.retry and self.step.retry.limit:
            for name in ("stdout.log", "stderr.log"):
                with open(self.dir / name, "a", encoding="utf-8") as fh:
                    fh.write(f"--- mlc: attempt {attempt} ---\n")

    def judge(self, result: Attempt) -> Attempt:
        """An exit 0 whose outputs break their contract (SPEC 6.1) is a failed attempt."""
        if result.status == "ok" and (self.step.outputs or self.step.type == "features"):
            found = problem(self.step, self.outputs)
            if found is not None:
                return Attempt("failed", 0, result.seconds, found)
        return result

    def retry_delay(self) -> float | None:
        """Seconds to wait before the next attempt, or None when none is left (SPEC 6.7)."""
        retry, attempt = self.step.retry, self.task.attempts
        if retry is None or attempt > retry.limit:
            return None
        return retry.delay(attempt)

    def gate(self) -> tuple[bool, dict]:
        """Evaluate the gates of an evaluate task (runtime/gates.py): gates.json, `passed`."""
        metrics = json.loads((self.outputs / "metrics").read_text(encoding="utf-8"))
        resolved = [{k: (self.value(v) if isinstance(v, Slot) else v)
                     for k, v in g.fields().items()} for g in self.step.gate_check.gates]
        passed, record = gate_rules.evaluate(metrics, resolved)
        write_json(self.dir / "gates.json", record)
        (self.outputs / "passed").write_text("true" if passed else "false", encoding="utf-8")
        return passed, record

    def prepare(self) -> tuple[dict[str, str], list[str]]:
        try:  # the step's folder exists after its first task: one mkdir, not makedirs' walk
            os.mkdir(self.base)
        except FileNotFoundError:
            os.makedirs(self.base, exist_ok=True)
        except FileExistsError:
            if not os.path.isdir(self.base):
                raise
        env = self.environment()
        # One line: json's C encoder (indent= falls back to pure Python, 5x slower per task).
        # os.open and one write: open() builds three file objects (10 us a task)
        text = (self.config_text() + "\n").encode("utf-8")
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(text)
            while view:  # a full disk raises here, as file.write would
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        return env, self.command()


VALUE_OF = {
    SlotKind.PARAM: lambda r, s: r.ctx.params[s.name],
    SlotKind.PARAM_JSON: lambda r, s: r.ctx.params[s.name],
    SlotKind.RUN: lambda r, s: r.ctx.run[s.name],
    SlotKind.RUN_JSON: lambda r, s: r.ctx.run[s.name],
    SlotKind.RUN_OBJECT: lambda r, s: dict(r.ctx.run),
    SlotKind.FOREACH: lambda r, s: r.task.item[s.name],
    SlotKind.FOREACH_JSON: lambda r, s: r.task.item[s.name],
    SlotKind.ITEM_OBJECT: lambda r, s: dict(r.task.item),
    SlotKind.TRIAL: lambda r, s: r.task.trial_values[s.name],
    SlotKind.TRIAL_JSON: lambda r, s: r.task.trial_values[s.name],
    SlotKind.TRIAL_OBJECT: lambda r, s: {"index": r.task.trial, "values": r.task.trial_values},
    SlotKind.OUTPUT: lambda r, s: r.ctx.value_outputs[s.output_ref],
    SlotKind.OUTPUT_JSON: lambda r, s: r.ctx.value_outputs[s.output_ref],
    SlotKind.TARGET: lambda r, s: "local",
    SlotKind.LOCAL_PATH: lambda r, s: str(r.ctx.folders.project / s.name),
}

__all__ = ["VALUE_OF", "Context", "Task", "TaskFailed", "TaskRunner"]
