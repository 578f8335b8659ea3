"""Node budgets (SPEC 10): the per-run estimate, and Argo's split into child Workflows.

A foreach step that makes the parent Workflow too large runs as child Workflows of the same
WorkflowTemplate, each child holding part of its items, and the parent keeps one launcher
node per child (plus the launchers' group):

    item    one child per item (a one-dimensional step whose children are single items)
    outer   one child per outermost item: the items of one value of the first dimension
    chunk   one child per contiguous chunk of the step's items, in item order: as few
            chunks as keep every child within the budget

`item` and `outer` come first (SPEC 10: "one per outermost item while that keeps the parent
within the budget"); `chunk` where they leave the parent or a child over the budget.

A child Workflow's nodes: its root, the task that reads its chunk (not for `item`), the
fan-out's group and, per item, trials x attempts (+ 1 select-best for a sweep).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..graph import Expansion, expansion
from ..record import MutableRecord, Record
from ..spec.config import Config
from ..spec.models import DeployStep
from ..spec.semantics import cache_enabled


def run_nodes(cfg: Config) -> tuple[int, dict[str, Expansion]]:
    """Estimated nodes of one run: the sum over steps, plus 1 (the workflow itself)."""
    exps = {name: expansion(cfg, name) for name in cfg.doc.steps}
    return 1 + sum(e.nodes for e in exps.values()), exps


def per_item(exp: Expansion, extra: int = 0) -> int:
    """Nodes of one item: trials x attempts, plus its select-best for a sweep, plus `extra`
    (Argo: a cached step's item DAG and relink task)."""
    return exp.trials * exp.attempts + (1 if exp.sweep else 0) + extra


def relink_nodes(cfg: Config, name: str) -> int:
    """Argo nodes per item beyond SPEC 10's estimate: a cached foreach step with outputs, or
    a cached evaluate step, runs in an item DAG with a relink task after its run (issue 17,
    item 1). Consumers of other cached steps read the producer's run: no extra node."""
    step = cfg.doc.steps[name]
    if isinstance(step, DeployStep) or getattr(step, "sweep", None) is not None or \
            not cache_enabled(step, cfg.doc):
        return 0
    if getattr(step, "type", None) == "evaluate":
        return 2
    return 2 if getattr(step, "outputs", None) and getattr(step, "foreach", None) else 0


@dataclass(frozen=True, eq=False, repr=False)
class Split(Record):
    """How one foreach step runs as child Workflows."""

    step: str
    per: str             # item | outer | chunk
    size: int            # items per child, at most
    children: int        # child Workflows, at most
    child_nodes: int     # nodes of one child, at most

    @property
    def launchers(self) -> int:
        """The step's nodes in the parent: one launcher per child, plus their group."""
        return self.children + 1


def per_outer(exp: Expansion, extra: int = 0) -> Split:
    """One child per outermost item (per item, for one dimension)."""
    outer = exp.dims[0].size or 0
    inner = (exp.items or 0) // outer if outer else 0
    if len(exp.dims) == 1:
        return Split(exp.step, "item", 1, outer, per_item(exp, extra) + 2)
    return Split(exp.step, "outer", inner, outer, inner * per_item(exp, extra) + 3)


def chunked(exp: Expansion, max_nodes: int, extra: int = 0) -> Split:
    """As few contiguous chunks as keep every child within `max_nodes` (at least 1 item each:
    a child of one item over the budget is E401)."""
    size = max(1, (max_nodes - 3) // per_item(exp, extra))
    items = exp.items or 0
    size = min(size, items) if items else size
    return Split(exp.step, "chunk", size, math.ceil(items / size) if items else 0,
                 size * per_item(exp, extra) + 3)


@dataclass(eq=False, repr=False)
class ArgoPlan(MutableRecord):
    """Which foreach steps run as child Workflows, and how."""

    parent_nodes: int
    splits: dict[str, Split] = field(default_factory=dict)
    expansions: dict[str, Expansion] = field(default_factory=dict)
    extras: dict[str, int] = field(default_factory=dict)   # relink nodes per item

    def nodes(self, step: str) -> int:
        """A step's nodes unsplit: SPEC 10's estimate plus Argo's relink nodes."""
        exp = self.expansions[step]
        return exp.nodes + self.extras.get(step, 0) * (exp.items or 1)

    @property
    def split(self) -> list[str]:
        return list(self.splits)

    @property
    def children(self) -> dict[str, int]:
        """step -> nodes of one child Workflow."""
        return {s: sp.child_nodes for s, sp in self.splits.items()}

    @property
    def launchers(self) -> dict[str, int]:
        """step -> its nodes in the parent."""
        return {s: sp.launchers for s, sp in self.splits.items()}

    def _apply(self, split: Split) -> None:
        before = self.splits[split.step].launchers if split.step in self.splits \
            else self.nodes(split.step)
        self.parent_nodes += split.launchers - before
        self.splits[split.step] = split


def argo_plan(cfg: Config, max_nodes: int) -> ArgoPlan:
    """Split the largest foreach steps until the parent fits (or nothing is left to split):
    first one child per outermost item, then contiguous chunks where that is not enough.
    Once per configuration: validation (E401, E404) and the plan read the same split."""
    return cfg.memo(("argo_plan", max_nodes), lambda: _argo_plan(cfg, max_nodes))


def _argo_plan(cfg: Config, max_nodes: int) -> ArgoPlan:
    total, exps = run_nodes(cfg)
    extras = {name: relink_nodes(cfg, name) for name in exps}
    plan = ArgoPlan(total + sum(x * (exps[n].items or 1) for n, x in extras.items()),
                    expansions=exps, extras=extras)
    position = {name: i for i, name in enumerate(cfg.doc.steps)}
    candidates = sorted((e for e in exps.values() if e.dims and e.items),
                        key=lambda e: (-plan.nodes(e.step), position[e.step]))
    for exp in candidates:
        if plan.parent_nodes <= max_nodes:
            break
        split = per_outer(exp, extras[exp.step])
        if split.launchers < plan.nodes(exp.step):
            plan._apply(split)
    for exp in candidates:
        current = plan.splits.get(exp.step)
        child_over = current is not None and current.child_nodes > max_nodes
        if plan.parent_nodes <= max_nodes and not child_over:
            continue
        split = chunked(exp, max_nodes, extras[exp.step])
        now = current.launchers if current is not None else plan.nodes(exp.step)
        if split.children < 2 and current is None:
            continue  # one chunk would be the whole step again
        if split.launchers < now or (child_over and split.child_nodes < current.child_nodes):
            plan._apply(split)
    return plan
