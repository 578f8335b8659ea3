"""Output contracts (SPEC 6.1, 6.3, 6.4, 6.5): after exit 0 every output exists and parses,
else the attempt fails (and is retried)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..plan import StepPlan
from ..runtime import gates as gate_rules
from ..runtime.items import enc


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_value(path: Path, kind: str) -> Any:
    """A value output: JSON text, except `string` (raw UTF-8 minus one trailing newline)."""
    text = path.read_text(encoding="utf-8")
    if kind == "string":
        return text[:-1] if text.endswith("\n") else text
    value = json.loads(text)
    ok = {"integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
          "number": _number, "boolean": lambda v: isinstance(v, bool),
          "list": lambda v: isinstance(v, list), "object": lambda v: isinstance(v, dict)}[kind]
    if not ok(value):
        raise ValueError(f"expected a JSON {kind}, got {text[:60]!r}")
    return value


def problem(step: StepPlan, outputs: Path) -> str | None:
    """What is wrong with an attempt's outputs, or None."""
    for out in step.outputs:
        if out.by_mlc:
            continue
        path = outputs / out.name
        if not path.exists():
            return f"output '{out.name}' was not written ({path})"
        found = _check(step, out.name, out.type, path)
        if found:
            return f"output '{out.name}': {found}"
    if step.type == "features":
        return _partitions(step, outputs)
    return None


def _check(step: StepPlan, name: str, kind: str, path: Path) -> str | None:
    if kind in ("dataset", "model", "dir"):
        return None if path.is_dir() else "expected a directory"
    if kind == "file":
        return None if path.is_file() else "expected a file"
    try:
        if kind == "metrics":
            data = json.loads(path.read_text(encoding="utf-8"))
            if step.type == "evaluate":
                check = step.gate_check
                return gate_rules.contract_problem(data, list(check.datasets),
                                                   list(check.metrics))
            if not isinstance(data, dict) or not all(_number(v) for v in data.values()):
                return "metrics must be a flat JSON object of numbers"
            if step.objective and not _number(data.get(step.objective[0])):
                return f"metrics lack a finite {step.objective[0]!r}"
            return None
        read_value(path, kind)
    except (ValueError, UnicodeDecodeError) as exc:
        return str(exc)
    return None


def _partitions(step: StepPlan, outputs: Path) -> str | None:
    """SPEC 6.3: the partitions list, bounded, within `only`, one directory per split."""
    part = step.partition
    if part is None:
        return None
    values = read_value(outputs / "partitions", "list")
    if len(values) > part.max_partitions:
        return f"{len(values)} partitions exceed max_partitions {part.max_partitions}"
    if part.only is not None:
        outside = [v for v in values if v not in part.only]
        if outside:
            return f"partition {outside[0]!r} is not in partition.only"
    for split in sorted(step.split_outputs):
        for value in values:
            directory = outputs / split / f"{part.by}={enc(value)}"
            if not directory.is_dir():
                return f"split '{split}' has no directory {directory.name}"
    return None
