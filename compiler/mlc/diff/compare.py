"""A semantic diff of two validated mlc files (`mlc diff`): what the pipeline does differently.

Not a text diff: comments, key order, flow or block style, anchors and values equal to their
defaults do not count. Compared per configuration (the base, then every profile, merged):

- steps added and removed; changed steps field by field with both values (each field tagged
  `resources`, `gates`, `rollout`, `fan-out` or `step`), located in HEAD where it is written;
- dependency edges added and removed;
- fan-out: the SPEC 10 expansion estimate (items x trials) before and after;
- the rollout plan of each deploy step, as one line per side;
- the schedule, and other top-level settings (params, sources, secrets, targets, project).

A profile reports only what differs from the base's changes, so a change to the base is not
repeated under every profile.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from ..graph import PipelineGraph
from ..graph.expansion import expansion
from ..graph.render import step_label
from ..record import MutableRecord, Record
from ..spec.config import Config

ABSENT = None  # a field present on one side only (values are dumped without None)
SETTINGS = ("project", "params", "secrets", "sources", "targets")
CATEGORIES = {"resources": "resources", "gates": "gates", "strategy": "rollout",
              "rollback": "rollout", "replicas": "rollout", "min_pass_rate": "rollout",
              "foreach": "fan-out", "sweep": "fan-out", "max_parallel": "fan-out",
              "partition": "fan-out"}


@dataclass(frozen=True, eq=False, repr=False)
class Change(Record):
    """One field: `path` (dotted, `[i]` for list items), both values (None: absent)."""

    path: str
    before: Any
    after: Any
    line: int | None = None     # where HEAD writes it (or the nearest enclosing key)
    category: str = "step"

    def key(self) -> tuple:
        return (self.path, _freeze(self.before), _freeze(self.after))


@dataclass(frozen=True, eq=False, repr=False)
class FanOut(Record):
    step: str
    before: tuple[int | None, int]   # (items, trials)
    after: tuple[int | None, int]

    @staticmethod
    def tasks(side: tuple[int | None, int]) -> int | None:
        return None if side[0] is None else side[0] * side[1]


@dataclass(eq=False, repr=False)
class ConfigDiff(MutableRecord):
    """The differences of one configuration (profile None: the base)."""

    profile: str | None
    status: str = "unchanged"   # unchanged | changed | added | removed | base (only the base's)
    steps_added: list[str] = field(default_factory=list)
    steps_removed: list[str] = field(default_factory=list)
    steps_changed: dict[str, list[Change]] = field(default_factory=dict)
    edges_added: list[tuple[str, str]] = field(default_factory=list)
    edges_removed: list[tuple[str, str]] = field(default_factory=list)
    fan_out: list[FanOut] = field(default_factory=list)
    rollout: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    schedule: list[Change] = field(default_factory=list)
    settings: list[Change] = field(default_factory=list)
    # For the picture: the union of both graphs.
    nodes: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # name -> (added|removed|changed|same, label, step type)
    edges: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.steps_added or self.steps_removed or self.steps_changed or
                    self.edges_added or self.edges_removed or self.fan_out or self.rollout or
                    self.schedule or self.settings)


@dataclass(eq=False, repr=False)
class Diff(MutableRecord):
    base: str
    head: str
    configs: list[ConfigDiff]

    @property
    def changed(self) -> bool:
        return any(c.status != "unchanged" for c in self.configs)


@dataclass(eq=False, repr=False)
class Side(MutableRecord):
    """One validated file: its configurations and graphs (from api.validate)."""

    label: str
    configs: dict[str | None, Config]
    graphs: dict[str | None, PipelineGraph]
    profiles: list[str]


def diff(base: Side, head: Side) -> Diff:
    base_diff = compare(None, base.configs[None], head.configs[None],
                        base.graphs[None], head.graphs[None])
    configs = [base_diff]
    seen = _keys(base_diff)
    names = head.profiles + [p for p in base.profiles if p not in head.profiles]
    for name in names:
        if name not in base.configs:
            configs.append(ConfigDiff(name, status="added"))
            continue
        if name not in head.configs:
            configs.append(ConfigDiff(name, status="removed"))
            continue
        one = compare(name, base.configs[name], head.configs[name], base.graphs[name],
                      head.graphs[name])
        configs.append(_minus(one, seen))
    return Diff(base.label, head.label, configs)


def compare(profile: str | None, old: Config, new: Config, old_graph: PipelineGraph,
            new_graph: PipelineGraph) -> ConfigDiff:
    out = ConfigDiff(profile)
    old_steps, new_steps = old.doc.steps, new.doc.steps
    out.steps_added = [s for s in new_steps if s not in old_steps]
    out.steps_removed = [s for s in old_steps if s not in new_steps]
    for name in new_steps:
        if name not in old_steps:
            continue
        changes = _changes(_step(old_steps[name]), _step(new_steps[name]), new,
                           ("steps", name), categorise=True)
        if changes:
            out.steps_changed[name] = changes
        before, after = _fan(old, name), _fan(new, name)
        if before != after:
            out.fan_out.append(FanOut(name, before, after))
        if new_steps[name].type == "deploy" or old_steps[name].type == "deploy":
            was, now = _rollout(old_steps[name]), _rollout(new_steps[name])
            if was != now:
                out.rollout[name] = (was, now)
    for name in out.steps_added:
        if new_steps[name].type == "deploy":
            out.rollout[name] = (None, _rollout(new_steps[name]))
    for name in out.steps_removed:
        if old_steps[name].type == "deploy":
            out.rollout[name] = (_rollout(old_steps[name]), None)
    old_edges, new_edges = set(old_graph.edges), set(new_graph.edges)
    out.edges_added = _edge_order(new_edges - old_edges, new_graph)
    out.edges_removed = _edge_order(old_edges - new_edges, old_graph)
    out.schedule = _changes(_dump(old.doc.schedule), _dump(new.doc.schedule), new,
                            ("schedule",), prefix="schedule")
    for section in SETTINGS:
        out.settings += _changes(_dump(getattr(old.doc, section)),
                                 _dump(getattr(new.doc, section)), new, (section,),
                                 prefix=section)
    _picture(out, old_graph, new_graph)
    out.status = "unchanged" if out.empty else "changed"
    return out


# -- the picture -------------------------------------------------------------------------------

def _picture(out: ConfigDiff, old: PipelineGraph, new: PipelineGraph) -> None:
    order = list(new.doc.steps)
    for name in old.doc.steps:  # removed steps after their former predecessor
        if name not in new.doc.steps:
            before = [s for s in old.doc.steps if s in order and
                      old.position[s] < old.position[name]]
            order.insert(order.index(before[-1]) + 1 if before else 0, name)
    for name in order:
        graph = old if name in out.steps_removed else new
        if name in out.steps_added:
            status = "added"
        elif name in out.steps_removed:
            status = "removed"
        elif name in out.steps_changed or any(f.step == name for f in out.fan_out):
            status = "changed"
        else:
            status = "same"
        out.nodes[name] = (status, step_label(graph, name), graph.step(name).type)
    rank = {n: i for i, n in enumerate(order)}
    for edge in sorted(set(old.edges) | set(new.edges), key=lambda e: (rank[e[0]], rank[e[1]])):
        out.edges[edge] = ("added" if edge in out.edges_added else
                           "removed" if edge in out.edges_removed else "same")


# -- values ------------------------------------------------------------------------------------

def _dump(model: Any) -> Any:
    if model is None:
        return None
    if isinstance(model, dict):
        return {k: _dump(v) for k, v in model.items()}
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json", exclude_none=True, by_alias=True, warnings=False)
    return model


def _step(step: Any) -> dict:
    """A step's fields, with equivalent spellings made equal: `retries: 2` is
    `retries: {limit: 2}`, and no retries is `retries: 0`."""
    data = _dump(step)
    retries = data.get("retries")
    if isinstance(retries, int):
        retries = data["retries"] = {"limit": retries}
    if isinstance(retries, dict) and retries.get("limit") == 0 and not retries.get("backoff"):
        del data["retries"]
    return data


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    """Leaves by path; a list of scalars is one leaf (it reads best whole)."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        for i, v in enumerate(value):
            _flatten(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def _changes(old: Any, new: Any, cfg: Config, base_path: tuple, *, prefix: str = "",
             categorise: bool = False) -> list[Change]:
    if old == new:
        return []
    pairs: list[tuple[str, Any, Any]] = []
    _pairs(old, new, prefix, pairs)
    out = []
    for path, was, now in pairs:
        rel = path[len(prefix) + 1:] if prefix and path.startswith(prefix + ".") else \
            ("" if path == prefix else path)
        category = CATEGORIES.get(_head(rel), "step") if categorise else prefix or "step"
        out.append(Change(path, was, now, _line(cfg, base_path, rel), category))
    return out


def _pairs(old: Any, new: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    """The leaves that differ, as (path, before, after). Lists of maps (canary steps, gates)
    are aligned by content with difflib, so inserting one item reads as one item added, not
    every later item changed; paths index HEAD's list (BASE's for removed items)."""
    if isinstance(old, dict) and isinstance(new, dict) and (old or new):
        for k in list(new) + [k for k in old if k not in new]:
            _pairs(old.get(k, ABSENT), new.get(k, ABSENT), f"{path}.{k}" if path else str(k),
                   out)
        return
    if _nested_list(old) and _nested_list(new):
        matcher = difflib.SequenceMatcher(a=[_fingerprint(v) for v in old],
                                          b=[_fingerprint(v) for v in new], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            if tag == "replace" and i2 - i1 == j2 - j1:  # edited in place
                for a, b in zip(range(i1, i2), range(j1, j2)):
                    _pairs(old[a], new[b], f"{path}[{b}]", out)
                continue
            for a in range(i1, i2):
                _pairs(old[a], ABSENT, f"{path}[{a}]", out)
            for b in range(j1, j2):
                _pairs(ABSENT, new[b], f"{path}[{b}]", out)
        return
    if old is ABSENT or new is ABSENT:
        side: dict[str, Any] = {}
        _flatten(new if old is ABSENT else old, path, side)
        for leaf, value in side.items():
            out.append((leaf, ABSENT, value) if old is ABSENT else (leaf, value, ABSENT))
        return
    if isinstance(old, dict) or isinstance(new, dict) or _nested_list(old) or _nested_list(new):
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        _flatten(old, path, before)
        _flatten(new, path, after)
        for leaf in list(after) + [p for p in before if p not in after]:
            was, now = before.get(leaf, ABSENT), after.get(leaf, ABSENT)
            if was != now:
                out.append((leaf, was, now))
        return
    if old != new:
        out.append((path, old, new))


def _nested_list(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)


def _fingerprint(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _head(rel: str) -> str:
    return rel.split(".", 1)[0].split("[", 1)[0]


def _line(cfg: Config, base: tuple, rel: str) -> int | None:
    """The line of the deepest key of `base + rel` that the file writes."""
    parts: list = list(base)
    for piece in rel.replace("]", "").replace("[", ".").split(".") if rel else []:
        parts.append(int(piece) if piece.isdigit() else piece)
    return cfg.span(tuple(parts), key=bool(parts) and not isinstance(parts[-1], int)).line


def _fan(cfg: Config, name: str) -> tuple[int | None, int]:
    exp = expansion(cfg, name)
    return exp.items, exp.trials


def _rollout(step: Any) -> str | None:
    """`mirror 100% 24h -> weight 5 -> pause 1h -> ... -> weight 100; analysis 2 metric(s)
    every 5m; rollback on deploy_failed, analysis_failed`."""
    if getattr(step, "type", None) != "deploy":
        return None
    parts = []
    canary = step.strategy.canary if step.strategy is not None else None
    for s in (canary.steps or []) if canary is not None else []:
        kind = s.kind
        if kind == "mirror":
            parts.append(f"mirror {s.mirror.percent}% {s.mirror.duration}")
        elif kind == "set_weight":
            parts.append(f"weight {s.set_weight}")
        elif kind == "pause":
            parts.append(f"pause {s.pause.duration}")
        elif kind == "analysis":
            parts.append(f"analysis {s.analysis.duration}")
        else:
            parts.append(f"experiment {s.experiment.weight}% {s.experiment.duration}")
    text = " -> ".join(parts) if parts else "all traffic at once"
    if canary is not None and canary.analysis is not None:
        a = canary.analysis
        text += f"; analysis {len(a.metrics)} metric(s) every {a.interval}"
    text += f"; min_pass_rate {step.min_pass_rate:g}"
    if step.rollback is not None and step.rollback.on:
        text += "; rollback on " + ", ".join(step.rollback.on)
    return text


def _edge_order(edges: set, graph: PipelineGraph) -> list[tuple[str, str]]:
    pos = graph.position
    return sorted(edges, key=lambda e: (pos.get(e[0], 0), pos.get(e[1], 0), e))


# -- profiles minus the base -------------------------------------------------------------------

def _keys(d: ConfigDiff) -> set:
    keys = {("added", s) for s in d.steps_added} | {("removed", s) for s in d.steps_removed}
    keys |= {("step", s) + c.key() for s, cs in d.steps_changed.items() for c in cs}
    keys |= {("edge+",) + e for e in d.edges_added} | {("edge-",) + e for e in d.edges_removed}
    keys |= {("fan", f.step, f.before, f.after) for f in d.fan_out}
    keys |= {("rollout", s, v) for s, v in d.rollout.items()}
    keys |= {("schedule",) + c.key() for c in d.schedule}
    keys |= {("settings",) + c.key() for c in d.settings}
    return keys


def _minus(d: ConfigDiff, seen: set) -> ConfigDiff:
    """What a profile changes beyond the base's changes (status `base`: nothing more)."""
    was_changed = not d.empty
    d.steps_added = [s for s in d.steps_added if ("added", s) not in seen]
    d.steps_removed = [s for s in d.steps_removed if ("removed", s) not in seen]
    changed = {}
    for s, cs in d.steps_changed.items():
        left = [c for c in cs if ("step", s) + c.key() not in seen]
        if left:
            changed[s] = left
    d.steps_changed = changed
    d.edges_added = [e for e in d.edges_added if ("edge+",) + e not in seen]
    d.edges_removed = [e for e in d.edges_removed if ("edge-",) + e not in seen]
    d.fan_out = [f for f in d.fan_out if ("fan", f.step, f.before, f.after) not in seen]
    d.rollout = {s: v for s, v in d.rollout.items() if ("rollout", s, v) not in seen}
    d.schedule = [c for c in d.schedule if ("schedule",) + c.key() not in seen]
    d.settings = [c for c in d.settings if ("settings",) + c.key() not in seen]
    d.status = "changed" if not d.empty else "base" if was_changed else "unchanged"
    return d


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


__all__ = ["Change", "ConfigDiff", "Diff", "FanOut", "Side", "compare", "diff"]
