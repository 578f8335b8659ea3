"""Fan-out sizes (SPEC 10): items x trials x attempts (+ select-best) + 1 per step."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..record import Record
from ..spec.catalog import is_partitions_list, outputs_of
from ..spec.config import Config
from ..spec.models import DeployStep, Step
from ..spec.refgrammar import parse_template
from ..spec.sweep import trial_count


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class DimBound(Record):
    """The static bound of one foreach dimension and where it comes from."""

    dim: str
    size: int | None          # None: unbounded (E402)
    origin: str               # "3 literal items", "partition.max_partitions", "max_items"
    path: tuple               # where the bound is written (a key in the tree)
    key: bool = True


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Expansion(Record):
    """How many tasks a step expands to: items, trials and attempts."""

    step: str
    dims: tuple[DimBound, ...]
    trials: int
    attempts: int
    sweep: bool

    @property
    def items(self) -> int | None:
        sizes = [d.size for d in self.dims]
        return None if any(s is None for s in sizes) else math.prod(sizes)  # type: ignore[misc]

    @property
    def nodes(self) -> int:
        items = self.items or 0
        return items * self.trials * self.attempts + (items if self.sweep else 0) + 1

    def explain(self, cfg: Config) -> str:
        """`250 (partition.max_partitions, 54:30) x 100 trials x 3 attempts + 250 select-best + 1`"""
        parts = [f"{d.size} ({d.origin}, {cfg.where(d.path, key=d.key)})" for d in self.dims]
        text = " x ".join(parts) if parts else "1 item"
        text += f" x {self.trials} trial{'s' if self.trials != 1 else ''}"
        text += f" x {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        if self.sweep:
            text += f" + {self.items} select-best"
        return text + " + 1"


def attempts_of(step: Step) -> int:
    retries = getattr(step, "retries", None)
    if retries is None:
        return 1
    return 1 + (retries if isinstance(retries, int) else retries.limit)


def expansion(cfg: Config, name: str) -> Expansion:
    """How many tasks step `name` expands to (once per configuration: several checks ask)."""
    return cfg.memo(("expansion", name), lambda: _expansion(cfg, name))


def _expansion(cfg: Config, name: str) -> Expansion:
    step = cfg.doc.steps[name]
    dims = tuple(_bound(cfg, name, dim, binding)
                 for dim, binding in (getattr(step, "foreach", None) or {}).items())
    sweep = getattr(step, "sweep", None)
    trials = trial_count(sweep) if sweep is not None else 1
    return Expansion(name, dims, max(trials, 1), attempts_of(step), sweep is not None)


def _bound(cfg: Config, name: str, dim: str, binding: object) -> DimBound:
    here = ("steps", name, "foreach", dim)
    if isinstance(binding, list):
        return DimBound(dim, len(binding), f"{len(binding)} literal items", here, key=False)
    template, _ = parse_template(str(binding))
    if not template.is_binding:
        return DimBound(dim, None, "not a binding", here, key=False)
    ref = template.refs[0]
    doc = cfg.doc
    if ref.context == "params":
        param = (doc.params or {}).get(ref.parts[0])
        if param is None or param.max_items is None:
            return DimBound(dim, None, f"params.{ref.parts[0]} has no max_items",
                            ("params", ref.parts[0]), key=True)
        return DimBound(dim, param.max_items, f"params.{ref.parts[0]}.max_items",
                        ("params", ref.parts[0], "max_items"))
    producer_name = ref.parts[0]
    producer = doc.steps.get(producer_name)
    output = ref.parts[2] if len(ref.parts) == 3 else ""
    if is_partitions_list(producer, output):
        part = producer.partition
        size, origin = part.max_partitions, "partition.max_partitions"
        where: tuple = ("steps", producer_name, "partition", "max_partitions")
        if part.only is not None and len(part.only) < size:
            size, origin = len(part.only), "partition.only"
            where = ("steps", producer_name, "partition", "only")
        return DimBound(dim, size, origin, where)
    info = outputs_of(producer).get(output) if producer and not isinstance(producer,
                                                                           DeployStep) else None
    if info is None or info.max_items is None:
        return DimBound(dim, None, f"steps.{producer_name}.outputs.{output} has no max_items",
                        ("steps", producer_name, "outputs", output), key=True)
    return DimBound(dim, info.max_items, f"outputs.{output}.max_items",
                    ("steps", producer_name, "outputs", output, "max_items"))
