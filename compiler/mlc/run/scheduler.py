"""The local scheduler (SPEC 12): the same DAG, fan-out, sweeps, gates, retries and caching as
on the targets, as processes on this machine; concurrency min(max_parallel, --parallel).

A step starts when every step it depends on has succeeded; it expands into tasks (items x
trials); after a failure nothing new starts, running work finishes, the run fails.

`--parallel` worker threads take ready tasks and book their results themselves, under one lock;
preparing a task, spawning it and waiting for it happen outside the lock (see Scheduler), in a
lane of the worker's own where the machine allows (lanes.py): a process, so that the Python of
two tasks runs at once.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..plan import DeployPlan, DimSource, Mode, Plan, StepPlan
from ..plan.values import static_digest
from ..record import MutableRecord
from ..runtime import items as item_rules
from ..runtime import select as select_rules
from .executor import Attempt
from .folders import os_problem, stage_collection, stage_input, write_json
from .lanes import FLUSH_S, Halt, Lane, LaneLost, Worker, start_lanes
from .outputs import read_value
from .progress import gate_failure_text
from .tasks import Context, Task, TaskFailed, TaskRunner

BATCH = 64  # tasks a lane is handed at most at once (lanes.py)


@dataclass(eq=False, repr=False)
class StepState(MutableRecord):
    name: str
    plan: StepPlan | DeployPlan
    status: str = "waiting"  # waiting running succeeded failed skipped cached
    items: list[tuple[str, dict]] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    running: int = 0
    queue: deque = field(default_factory=deque)        # tasks not yet started
    left: dict = field(default_factory=dict)           # item key -> tasks not yet done
    unfinished: int = 0
    gate_failed: bool = False
    message: str = ""
    fixed: dict | None = None  # a deploy step's counts: models deployed or held back

    tally: Counter = field(default_factory=Counter)    # task status -> tasks
    per_item: int = 1                                  # tasks an item has (its trials)

    def mark(self, task: Task, status: str) -> None:
        """Set a task's status, keeping the tally (under the scheduler's lock)."""
        self.tally[task.status] -= 1
        self.tally[status] += 1
        task.status = status

    def counts(self) -> dict[str, int]:
        """Items by outcome; an item still pending or running is in none of the four. Without
        trials, each item is one task and the tally answers at once (the live view asks ten
        times a second, over steps of many thousand tasks)."""
        if self.fixed is not None:
            return dict(self.fixed)
        if self.tasks and self.per_item == 1:
            tally = self.tally
            return {"total": len(self.tasks), "succeeded": tally["succeeded"],
                    "failed": tally["failed"], "skipped": tally["skipped"] + tally["interrupted"],
                    "cached": tally["cached"]}
        units = self._units()
        out = {"total": len(units)}
        for status in ("succeeded", "failed", "skipped", "cached"):
            out[status] = sum(1 for s in units if s == status)
        return out

    def _units(self) -> list[str]:
        """Item statuses (a sweep item is its trials' outcome)."""
        if not self.tasks:
            return [self.status] * len(self.items) if self.status in ("skipped", "failed") \
                else []
        by_item: dict[str, list[str]] = {}
        for t in self.tasks:
            by_item.setdefault(t.key, []).append(t.status)
        out = []
        for statuses in by_item.values():
            if "failed" in statuses:
                out.append("failed")
            elif all(s == "cached" for s in statuses):
                out.append("cached")
            elif any(s in ("skipped", "interrupted") for s in statuses):
                out.append("skipped")
            elif any(s in ("pending", "running") for s in statuses):
                out.append("unfinished")
            else:
                out.append("succeeded")
        return out


class Scheduler:
    """`parallel` worker threads share the scheduler's state under one lock: each takes the next
    ready task, runs it (preparing, spawning and waiting happen outside the lock, so spawns
    overlap) and books its result, which may make further steps ready. The main thread only
    waits, so Ctrl-C reaches it and nothing else."""

    def __init__(self, plan: Plan, ctx: Context, parallel: int, reporter: Any) -> None:
        self.plan = plan
        self.ctx = ctx
        self.parallel = max(1, parallel)
        self.reporter = reporter
        self.states = {name: StepState(name, plan.steps.get(name) or plan.deploys[name])
                       for name in plan.order}
        self.failed = False
        self.reason: str | None = None
        self.interrupted = False
        self.running = 0                   # tasks holding a slot
        self.active: list[StepState] = []  # steps with tasks not yet started
        self.changed = True                # a step ended: look for steps that can start
        self.cond = threading.Condition()
        self.lanes: list[Lane] = []        # worker n hands its tasks to lanes[n]
        self.halt: Halt | None = None      # the lanes read it before each task
        self.parent = os.getpid()          # a lane whose parent has gone starts nothing

    def start_lanes(self) -> None:
        """Fork one lane a worker (lanes.py), while mlc has one thread; none with one worker."""
        self.halt, self.parent = Halt(), os.getpid()
        self.lanes = start_lanes(self.parallel, self._serve, self.ctx.executor.stop_all)

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        workers = [Worker(functools.partial(self._work, n), f"mlc-worker-{n}")
                   for n in range(self.parallel)]
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.done.wait()
        except KeyboardInterrupt:
            with self.cond:
                self.interrupted = True
                self.reason = "interrupted"
                self._halt()
                self.cond.notify_all()
            self._stop_lanes()
            self.ctx.executor.stop_all()
            for worker in workers:  # a second Ctrl-C: the lanes' attempts are killed too
                if worker.is_alive() or worker.ident is not None:
                    worker.wait(self._stop_lanes)
        finally:
            self.close_lanes()  # a worker that never started leaves its lane open
        self._skip_the_rest()

    def close_lanes(self) -> None:
        for lane in self.lanes:
            lane.close()

    def _stop_lanes(self) -> None:
        for lane in self.lanes:
            lane.stop()

    def _halt(self) -> None:
        if self.halt is not None:
            self.halt.set()

    def _work(self, n: int = 0) -> None:
        lane = self.lanes[n] if n < len(self.lanes) else None
        try:
            while True:
                with self.cond:
                    picked = self._next()
                    if picked is None:
                        self.cond.notify_all()
                        return
                    state, tasks = picked
                    if lane is not None:
                        request = self._request(lane, state, tasks)
                if lane is None:
                    status, message = self._run_safely(state, tasks[0])
                    with self.cond:
                        try:
                            self._finished(state, tasks[0], status, message)
                        finally:
                            self._release(state)
                            self.cond.notify_all()
                else:
                    self._in_lane(lane, state, tasks, request)
        finally:
            if lane is not None:
                lane.close()

    def _run_safely(self, state: StepState, task: Task) -> tuple[str, str]:
        try:
            return self._run_task(state, task)
        except OSError as exc:  # the machine, not mlc: a full disk, a file in the way
            return "failed", os_problem(exc)
        except Exception as exc:  # noqa: BLE001 - a bug in one task must not hang the run
            if os.environ.get("MLC_DEBUG"):
                traceback.print_exception(exc)
            return "failed", f"internal error: {exc!r}"

    # -- lanes ------------------------------------------------------------------------------
    def _request(self, lane: Lane, state: StepState, tasks: list[Task]) -> dict:
        """What `lane` needs to run `tasks` (under the lock): the tasks, and what the run learnt
        since the lane was forked that they may read."""
        request: dict[str, Any] = {"step": state.name, "tasks": [
            (t.key, t.item, t.trial, t.trial_values) for t in tasks]}
        values = self.ctx.value_outputs
        if len(values) != len(lane.sent_values):
            request["values"] = {k: v for k, v in values.items() if k not in lane.sent_values}
            lane.sent_values.update(request["values"])
        items = {}
        for art in state.plan.artifacts:
            if art.mode is Mode.FANIN and art.producer not in lane.sent_items and \
                    self.plan.steps[art.producer].foreach:
                items[art.producer] = self.states[art.producer].items
                lane.sent_items.add(art.producer)
        if items:
            request["items"] = items
        return request

    def _in_lane(self, lane: Lane, state: StepState, tasks: list[Task], request: dict) -> None:
        """Hand `tasks` to `lane`; book each answer as it comes. A task the lane did not start
        (the run halted) is pending again, and skipped at the end of the run."""
        done = 0
        try:
            lane.send(request)
            while done < len(tasks):
                answers = lane.answers()
                with self.cond:
                    for answer in answers:
                        task = tasks[done]
                        done += 1
                        if answer is None:
                            state.mark(task, "pending")
                            continue
                        status, message, task.attempts, task.stderr, gate, lines = answer
                        if gate:
                            state.gate_failed = True
                        for line in lines:
                            self.ctx.log(line)
                        self._finished(state, task, status, message)
                    if done < len(tasks) and not (self.failed or self.interrupted):
                        self.reporter.task_started(state, tasks[done])
                    self.cond.notify_all()
        except LaneLost as exc:
            with self.cond:
                self._lost(state, tasks[done:], str(exc))
        finally:
            with self.cond:
                self._release(state)
                self.cond.notify_all()

    def _lost(self, state: StepState, tasks: list[Task], why: str) -> None:
        """A lane ended before answering for `tasks` (under the lock). It ran them in order and
        made each one's folder first: the last with a folder was running, and fails with `why`;
        those before it ended but their answers are lost (they count as skipped, and run.log
        says so); those after it never started."""
        started = [t for t in tasks if os.path.isdir(
            self.ctx.folders.task_path(t.step, t.key, t.trial))]
        running = started[-1] if started else tasks[0]
        if started:  # it began its first attempt at least: its log's tail goes with the failure
            running.attempts = running.attempts or 1
            running.stderr = self.ctx.folders.task_path(
                running.step, running.key, running.trial) + "/stderr.log"
        for task in tasks:
            if task is not running:
                state.mark(task, "pending")
        lost = [t.label() for t in started[:-1]]
        if lost:
            self.ctx.log(f"the results of {len(lost)} task(s) were lost with mlc's worker "
                         f"process: {', '.join(lost)}")
        self._finished(state, running, "failed", why)

    def _serve(self, request: dict, send: Any) -> None:
        """In a lane: run the request's tasks one by one as a worker thread would, and send
        their answers (together, when tasks end within FLUSH_S of each other); a task is not
        started once the run has halted, a task of this request failed or mlc has gone."""
        self.ctx.value_outputs.update(request.get("values", {}))
        for producer, items in request.get("items", {}).items():
            self.states[producer].items = [(key, item) for key, item in items]
        state = self.states[request["step"]]
        lines: list[str] = []
        self.ctx.log = lines.append
        going, answers, sent = True, [], time.monotonic()
        for key, item, trial, trial_values in request["tasks"]:
            if not going or self.halt or self.ctx.executor.stopping.is_set() or \
                    os.getppid() != self.parent:
                answers.append(None)
                continue
            task = Task(state.name, key, item, trial, trial_values)
            state.gate_failed = False
            status, message = self._run_safely(state, task)
            going = status not in ("failed", "interrupted")
            answers.append((status, message, task.attempts, task.stderr, state.gate_failed,
                            lines[:]))
            lines.clear()
            now = time.monotonic()
            if not going or now - sent >= FLUSH_S:
                send(answers)
                answers, sent = [], now
        if answers:
            send(answers)

    def _next(self) -> tuple[StepState, list[Task]] | None:
        """The next tasks to run (under the lock), waiting while others run; None when the run
        has nothing left to start."""
        while True:
            if self.failed or self.interrupted:
                return None
            if self.changed:
                self.changed = False
                self._start_ready_steps()
                continue
            picked = self._pick()
            if picked is not None:
                return picked
            if self.running == 0:
                return None
            self.cond.wait()

    def _pick(self) -> tuple[StepState, list[Task]] | None:
        """Tasks of one step for one worker: one, or with lanes, while the step has many more
        tasks left than it may run at once, up to BATCH (a lane runs them one after another,
        so they hold one slot)."""
        if self.running >= self.parallel:
            return None
        for state in self.active:
            cap = min(state.plan.max_parallel or self.parallel, self.parallel)
            if state.queue and state.running < cap:
                queue = state.queue
                size = min(BATCH, len(queue) // (4 * cap)) if self.lanes else 1
                tasks = [queue.popleft() for _ in range(max(1, size))]
                for task in tasks:
                    state.mark(task, "running")
                self.reporter.task_started(state, tasks[0])  # the others as their turn comes
                state.running += 1
                self.running += 1
                if not queue:
                    self.active.remove(state)
                return state, tasks
        return None

    def _start_ready_steps(self) -> None:
        for name in self.plan.order:
            state = self.states[name]
            if state.status != "waiting" or self.failed or self.interrupted:
                continue
            upstream = [self.states[u] for u in state.plan.upstream]
            if any(u.status in ("waiting", "running") for u in upstream):
                continue
            if any(u.status in ("failed", "skipped") for u in upstream):
                state.status = "skipped"
                self.changed = True
                continue
            if isinstance(state.plan, DeployPlan):
                self._deploy(state)
                self.changed = True
                continue
            self._expand(state)

    def _release(self, state: StepState) -> None:
        """A worker's tasks of `state` are over: their slot is free."""
        state.running -= 1
        self.running -= 1

    def _finished(self, state: StepState, task: Task, status: str, message: str) -> None:
        state.mark(task, status)
        if message:
            task.message = message
        self.reporter.task_finished(state, task)
        if task.status == "failed":
            self._halt()
            self.failed, self.reason = True, self.reason or "step_failed"
            state.status = "failed"
            state.message = f"{task.label()} failed: {task.message}"
            return
        if task.status == "interrupted":
            self._halt()
            self.interrupted = True
            self.reason = self.reason or "interrupted"
            return
        state.left[task.key] -= 1
        state.unfinished -= 1
        if state.plan.sweep and state.left[task.key] == 0:
            self._promote(state, task.key)
        if state.unfinished == 0:
            self._step_done(state)
            self.changed = True

    # -- one task (in a worker, outside the lock) -------------------------------------------
    def _run_task(self, state: StepState, task: Task) -> tuple[str, str]:
        step: StepPlan = state.plan
        try:
            runner = TaskRunner(self.ctx, step, task, self._stage(step, task))
            env, command = runner.prepare()
        except (TaskFailed, ValueError) as exc:
            return "failed", str(exc)
        key = self._cache_key(step, task, runner, command)
        cached = bool(key) and self.ctx.cache.fetch(key, step.cache_max_age_s, runner.outputs)
        if cached:
            status = "cached"
        else:
            result = self._attempts(runner, env, command)
            if result.status != "ok":
                return ("interrupted" if result.status == "interrupted" else "failed",
                        result.message)
            if key:
                self.ctx.cache.store(key, runner.outputs, step.name)
            status = "succeeded"
        if step.type == "evaluate":
            passed, record = runner.gate()
            if not passed:
                state.gate_failed = True
                self.ctx.log(f"{task.label()}: gate failed: {gate_failure_text(record)}")
        return status, ""

    def _attempts(self, runner: TaskRunner, env: dict[str, str], command: list[str]) -> Attempt:
        """Attempts until one succeeds or the retries are spent, with backoff (SPEC 6.6)."""
        executor, task, step = self.ctx.executor, runner.task, runner.step
        while True:
            runner.begin(task.attempts + 1)
            result = runner.judge(executor.run(
                command, env, self.ctx.folders.project, runner.stdout_log, runner.stderr_log,
                step.timeout_s, runner.secret_values))
            if result.status == "ok":
                return result
            self.ctx.log(f"{task.label()}: attempt {task.attempts} {result.status}: "
                         f"{result.message}")
            delay = runner.retry_delay()
            if result.status == "interrupted" or delay is None:
                return result
            self.ctx.log(f"{task.label()}: retry {task.attempts} of {step.retry.limit} "
                         f"in {delay:g}s")
            if executor.stopping.wait(delay):
                return Attempt("interrupted", None, 0.0, "interrupted")

    # -- steps ------------------------------------------------------------------------------
    def _expand(self, state: StepState) -> None:
        step: StepPlan = state.plan
        try:
            state.items = self._items(step)
        except (ValueError, OSError) as exc:
            state.status, state.message = "failed", str(exc)
            self.failed, self.reason = True, self.reason or "step_failed"
            self.reporter.step_failed(state)
            return
        trials = list(enumerate(step.trials)) if step.trials is not None else [(None, None)]
        state.tasks = [Task(step.name, key, item, index, values)
                       for key, item in state.items for index, values in trials]
        state.queue = deque(state.tasks)
        state.tally, state.per_item = Counter({"pending": len(state.tasks)}), len(trials)
        state.left = {key: len(trials) for key, _ in state.items}
        state.unfinished = len(state.tasks)
        state.status = "running"
        self.active.append(state)
        self.ctx.log(f"{step.name}: image {step.image} is ignored and resources are not "
                     "enforced by mlc run")
        self.reporter.step_started(state)

    def _items(self, step: StepPlan) -> list[tuple[str, dict]]:
        if not step.dims:
            return [("", {})]
        dims = []
        for d in step.dims:
            entry = d.payload()
            if d.source is DimSource.PARAM:
                entry["values"] = self.ctx.params[d.param]
            elif d.source is DimSource.OUTPUT:
                entry["values"] = self.ctx.value_outputs[f"{d.producer}.{d.output}"]
            dims.append(entry)
        return item_rules.expand(dims)

    def _step_done(self, state: StepState) -> None:
        step: StepPlan = state.plan
        state.status = "cached" if all(t.status == "cached" for t in state.tasks) \
            else "succeeded"
        if not step.foreach:
            folder = self.ctx.folders.task_dir(step.name)
            for out in step.outputs:
                if not out.artifact and (folder / "outputs" / out.name).exists():
                    self.ctx.value_outputs[f"{step.name}.{out.name}"] = read_value(
                        folder / "outputs" / out.name, out.type)
        if step.gate_check is not None and state.gate_failed and \
                not step.gate_check.consumed_by_deploy:
            self.failed, self.reason = True, self.reason or "gate"
            state.message = "gates failed and no deploy step reads the decision"
        self.reporter.step_finished(state)

    def _promote(self, state: StepState, key: str) -> None:
        """Select the best trial of an item; its outputs become the item's (SPEC 6.4)."""
        import shutil

        step: StepPlan = state.plan
        metric_out = next(o.name for o in step.outputs if o.type == "metrics")
        trials = [t for t in state.tasks if t.key == key]
        results = []
        for t in trials:
            folder = self.ctx.folders.task_dir(step.name, key, t.trial)
            metrics = json.loads((folder / "outputs" / metric_out).read_text(encoding="utf-8"))
            results.append({"index": t.trial, "metrics": metrics, "values": t.trial_values})
        best, summary = select_rules.select(results, {"primary_metric": step.objective[0],
                                                      "goal": step.objective[1]})
        item_dir = self.ctx.folders.task_dir(step.name, key)
        outputs = item_dir / "outputs"
        if outputs.exists():
            shutil.rmtree(outputs)
        shutil.copytree(self.ctx.folders.task_dir(step.name, key, best) / "outputs", outputs,
                        symlinks=True)
        (outputs / "best_params").write_text(json.dumps(step.trials[best]), encoding="utf-8")
        (outputs / "trials").write_text(json.dumps(summary), encoding="utf-8")
        self.ctx.log(f"{step.name} {key}: best trial {best}".replace("  ", " "))

    def _deploy(self, state: StepState) -> None:
        from .deploy import render_deploy

        decision = render_deploy(self.plan, state.plan, self.ctx, self.states)
        deployed = len(decision["deployed_items"]) if decision["proceed"] else 0
        state.fixed = {"total": decision["items"], "succeeded": deployed, "failed": 0,
                       "skipped": decision["items"] - deployed, "cached": 0}
        self.reporter.deploy(state, decision)
        if decision["proceed"]:
            state.status = "succeeded"
        else:
            state.status = "skipped"
            self.failed, self.reason = True, self.reason or "gate"
            state.message = (f"gate: {decision['passed']}/{decision['items']} passed, "
                             f"min_pass_rate {decision['min_pass_rate']}")

    def _skip_the_rest(self) -> None:
        for state in self.states.values():
            for task in state.tasks:
                if task.status in ("pending", "running"):
                    state.mark(task, "skipped")
            if state.status in ("waiting", "running"):
                state.status = "skipped"

    def _cache_key(self, step: StepPlan, task: Task, runner: TaskRunner,
                   command: list[str]) -> str | None:
        if not step.cache or not self.ctx.cache.enabled:
            return None
        material = {"static": static_digest(step), "params": {p: self.ctx.params[p]
                                                              for p in step.params},
                    "item": task.item, "trial": task.trial_values,
                    "values": self._upstream_values(step)}
        return self.ctx.cache.key(material, runner.staged | self._code_and_sources(step, command))

    def _code_and_sources(self, step: StepPlan, command: list[str]) -> dict[str, Path]:
        """What else the key hashes by content (SPEC 6.7): the local sources the step reads,
        its cache.include files, and every token of its command that names a file under the
        project by a relative path (`python train.py`: editing train.py re-runs the step)."""
        project = self.ctx.folders.project
        out = {f"source:{p}": project / p for p in step.local_sources}
        out |= {f"code:{p}": project / p for p in step.code_files}
        for token in command_tokens(command):
            if token and not os.path.isabs(token) and ".." not in Path(token).parts:
                path = project / token
                if path.is_file():
                    out[f"code:{os.path.normpath(token)}"] = path
        return out

    def _upstream_values(self, step: StepPlan) -> dict[str, Any]:
        """The value outputs of the steps `step` needs, by lookups only: other workers may
        add values of other steps to the shared dict meanwhile, so it is never iterated."""
        values = {}
        for upstream in sorted(step.upstream):
            producer = self.plan.steps.get(upstream)
            for out in producer.outputs if producer is not None else ():
                key = f"{upstream}.{out.name}"
                if key in self.ctx.value_outputs:
                    values[key] = self.ctx.value_outputs[key]
        return values

    def _stage(self, step: StepPlan, task: Task) -> dict[str, Path]:
        """Stage artifact inputs: one item (zip), all items (fan-in), or the one output."""
        staged: dict[str, Path] = {}
        if not step.artifacts:
            return staged
        base = self.ctx.folders.task_dir(step.name, task.key, task.trial) / "inputs"
        for art in step.artifacts:
            target = base / art.name
            if art.mode is Mode.FANIN:
                entries = [(key, item, self._item_output(art.producer, key, art.output))
                           for key, item in self._collection_items(art.producer)]
                stage_collection(target, entries)
            else:
                key = task.key if art.mode is Mode.ZIP else ""
                stage_input(target, self._item_output(art.producer, key, art.output))
            staged[art.name] = target
        return staged

    def _item_output(self, producer: str, key: str, output: str) -> Path:
        """Where one item of a collection lives: a foreach step keeps a folder per item; a
        partitioned features step keeps `<by>=<value>/` inside each split output."""
        folders = self.ctx.folders
        if self.plan.steps[producer].foreach or not key:
            return folders.task_dir(producer, key) / "outputs" / output
        return folders.task_dir(producer) / "outputs" / output / key

    def _collection_items(self, producer: str) -> list[tuple[str, dict]]:
        plan = self.plan.steps[producer]
        if plan.foreach:
            return self.states[producer].items
        by = plan.partition.by
        values = self.ctx.value_outputs[f"{producer}.partitions"]
        return [(f"{by}={item_rules.enc(v)}", {by: v}) for v in values]


def command_tokens(command: list[str]) -> list[str]:
    """The words of a command: an exec form's arguments, or a shell text split as the shell
    would (what cannot be split is split on white space)."""
    if command[:2] == ["/bin/sh", "-c"] and len(command) == 3:
        import shlex

        try:
            return shlex.split(command[2])
        except ValueError:
            return command[2].split()
    return list(command)


def run_record(plan: Plan, scheduler: Scheduler, params: dict, started: str,
               finished: str, run_id: str) -> dict:
    """run.json (SPEC 12)."""
    ok = not scheduler.failed and not scheduler.interrupted
    return {"run_id": run_id, "status": "succeeded" if ok else "failed",
            "reason": None if ok else scheduler.reason, "profile": plan.profile,
            "params": params, "started_at": started, "finished_at": finished,
            "steps": {name: {"status": s.status, "items": s.counts()}
                      for name, s in scheduler.states.items()}}


def save_record(path: Path, record: dict) -> None:
    write_json(path, record)
