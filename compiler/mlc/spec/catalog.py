"""What a step produces and how: declared and auto-outputs, collections (SPEC 6.1-6.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..record import Record
from .models import (
    ARTIFACT_TYPES,
    DeployStep,
    Document,
    EvaluateStep,
    FeaturesStep,
    Local,
    RunStep,
    Step,
    Table,
)

DATABASE_SUFFIXES = (".duckdb", ".sqlite", ".sqlite3", ".db")
WAREHOUSE_TYPES = ("snowflake", "bigquery", "redshift", "postgres")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class OutputInfo(Record):
    """A step output, declared or produced by mlc's contract."""

    name: str
    type: str            # an OUTPUT_TYPES value, or "object" (best_params)
    auto: bool           # produced by mlc's contract rather than declared
    max_items: int | None = None

    @property
    def is_artifact(self) -> bool:
        return self.type in ARTIFACT_TYPES


def outputs_of(step: Step) -> dict[str, OutputInfo]:
    """Declared outputs plus the auto-outputs of the step's type, in a stable order."""
    out: dict[str, OutputInfo] = {}
    if isinstance(step, DeployStep):
        return out
    for name, spec in step.outputs.items():
        out[name] = OutputInfo(name, spec.type, False, spec.max_items)
    if isinstance(step, FeaturesStep):
        splits = list(step.split.ratios) if step.split is not None else ["dataset"]
        for name in splits:
            out.setdefault(name, OutputInfo(name, "dataset", True))
        if step.partition is not None:
            out.setdefault("partitions", OutputInfo("partitions", "list", True,
                                                    step.partition.max_partitions))
    elif isinstance(step, EvaluateStep):
        out.setdefault("metrics", OutputInfo("metrics", "metrics", True))
        out.setdefault("report", OutputInfo("report", "dir", True))
        out.setdefault("passed", OutputInfo("passed", "boolean", True))
    elif isinstance(step, RunStep) and step.sweep is not None:
        out.setdefault("best_params", OutputInfo("best_params", "object", True))
        out.setdefault("trials", OutputInfo("trials", "list", True))
    return out


def step_outputs(cfg: Any) -> dict[str, dict[str, OutputInfo]]:
    """`outputs_of` each step of a configuration (a `Config`), once: references and the plan
    both read them."""
    return cfg.memo(("outputs",), lambda: {name: outputs_of(step)
                                           for name, step in cfg.doc.steps.items()})


def split_outputs(step: FeaturesStep) -> tuple[str, ...]:
    return tuple(step.split.ratios) if step.split is not None else ("dataset",)


def is_partitions_list(step: Step | None, output: str) -> bool:
    """Is `output` the auto-output `partitions` of a partitioned features step (SPEC 6.3)?
    Its bound is `partition.max_partitions`, and its values key the split outputs."""
    return (isinstance(step, FeaturesStep) and output == "partitions"
            and step.partition is not None and output not in step.outputs)


def output_dims(step: Step, output: str) -> tuple[str, ...]:
    """Dimensions an output is keyed by: () for a single value, else a collection."""
    if isinstance(step, DeployStep):
        return ()
    if step.foreach:
        return tuple(step.foreach)
    if isinstance(step, FeaturesStep) and step.partition is not None and \
            output in split_outputs(step):
        return (step.partition.by,)
    return ()


def table_dims(table: Table) -> tuple[str, ...]:
    return (table.partition_by,) if table.partition_by else ()


def is_database_file(path: str) -> bool:
    return path.lower().endswith(DATABASE_SUFFIXES)


def table_kind(doc: Document, source: str, table: str) -> str:
    """'table' for warehouse and database tables (not interpolable), 'file' for file tables."""
    src = (doc.sources or {})[source]
    if src.type in WAREHOUSE_TYPES:
        return "table"
    if isinstance(src, Local) and is_database_file(src.path):
        return "table"
    tab = src.tables[table]
    return "file" if tab.path is not None else "table"


def step_order(doc: Document) -> dict[str, int]:
    """Position of each step in the file (the tie-breaker for every ordering)."""
    return {name: i for i, name in enumerate(doc.steps)}
