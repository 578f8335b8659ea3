"""Validation (`mlc validate`): SPEC 9.2's phases, each run over every configuration being
checked (the base and the merged profiles), stopping after the first phase that found an error:
1 parse - 2 schema - 3 profiles (merge; then 2, 4-7 on each) - 4 references - 5 graph -
6 semantics - 7 target.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, sort_diagnostics
from ..graph import PipelineGraph, check_fanout_bounds, check_graph
from ..record import MutableRecord
from ..source import Limits, Source, load_bytes, load_path
from ..source.resolve import YAML11_BOOLEANS
from ..spec.config import Config
from ..spec.profiles import apply_profile, profile_names
from ..spec.references import check_references
from ..spec.registry import COMPILE_TARGETS, REGISTRY, TARGETS
from ..spec.schema import check_schema
from ..spec.semantics import check_semantics
from ..targets import check_target


class UsageError(Exception):
    """A mistake in how mlc was called (exit 2): missing file, unknown profile or target."""


@dataclass(eq=False, repr=False)
class ValidationResult(MutableRecord):
    """What validation found, with the configurations and graphs it built."""

    source: Source | None
    diagnostics: list[Diagnostic]
    configs: dict[str | None, Config] = field(default_factory=dict)
    graphs: dict[str | None, PipelineGraph] = field(default_factory=dict)
    profiles: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def read_source(path: str, limits: Limits = Limits()) -> tuple[Source | None, list[Diagnostic]]:
    if not os.path.exists(path):
        if os.path.basename(path) == "mlc.yaml" and not os.path.dirname(path):
            raise UsageError(f"{path}: no such file in {os.getcwd()} (run mlc in the project's "
                             "folder, give the file's path, or create a project with mlc init)")
        raise UsageError(f"{path}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory; give the mlc.yaml file")
    loaded = load_path(path, display=path, limits=limits)
    return loaded.source, loaded.diagnostics


def validate(path: str, *, profiles: list[str] | None = None, targets: list[str] | None = None,
             limits: Limits = Limits(), phase7: str = "checked",
             data: bytes | None = None, sizes: bool = True) -> ValidationResult:
    """Validate a file: the base always, and every profile (or only `profiles`).

    `phase7="checked"` runs phase 7 on the configurations being checked (SPEC 9.1); with
    `phase7="selected"` (compile, run) only on the selected profile, or the base without one;
    `phase7="none"` (diff) not at all. `data` is the file's content when it does not come
    from disk (a git revision); `path` then only names it. `sizes` lowers each configuration
    in memory for phase 7's E405, as compile would (compile checks the bytes it writes itself).
    """
    for t in targets or []:
        if t not in TARGETS:
            raise UsageError(f"unknown target '{t}' (choose from {', '.join(TARGETS)})")
    if data is not None:
        loaded = load_bytes(data, path, limits)
        source, diags = loaded.source, loaded.diagnostics
    else:
        source, diags = read_source(path, limits)
    if source is None:
        return ValidationResult(None, diags)
    names = profile_names(source.root)
    for p in profiles or []:
        if p not in names:
            known = ", ".join(names) if names else "none defined"
            raise UsageError(f"unknown profile '{p}' (profiles: {known})")
    selected = list(profiles) if profiles else names
    run = _Run(source, names, selected)
    run.yaml11_warnings()
    run.phases(targets, profiles, phase7, sizes)
    return run.result()


class _Run:
    """One validation: configurations, diagnostics, and the phase loop."""

    def __init__(self, source: Source, names: list[str], selected: list[str]) -> None:
        self.source = source
        self.names = names
        self.selected = selected
        self.diags: list[Diagnostic] = []
        self.base_ids: set = set()
        self.trees = {None: source.root}
        self.configs: dict[str | None, Config] = {}
        self.graphs: dict[str | None, PipelineGraph] = {}

    def add(self, diags: list[Diagnostic], profile: str | None) -> bool:
        """Record a phase's diagnostics for one configuration; True if any is an error."""
        error = False
        for d in diags:
            if profile is None:
                self.base_ids.add(d.identity())
            elif d.identity() in self.base_ids:
                continue
            else:
                d = d.tagged(profile=profile)
            self.diags.append(d)
            error = error or d.is_error
        return error

    def yaml11_warnings(self) -> None:
        for path, span, raw in self.source.yaml11_booleans:
            profile = path[1] if len(path) > 1 and path[0] == "profiles" else None
            if profile is not None and profile not in self.selected:
                continue
            as11 = "true" if YAML11_BOOLEANS[raw.lower()] else "false"
            self.diags.append(Diagnostic(
                "W106", f"unquoted '{raw}' is \"{raw}\" in YAML 1.2 but {as11} in YAML 1.1",
                self.source.file, span.line, span.col, profile=profile, path=path))

    def phases(self, targets: list[str] | None, profiles: list[str] | None, phase7: str,
               sizes: bool = True) -> None:
        if self.schema():
            return
        for step in (self.references, self.graph, self.semantics):
            if step():
                return
        for name, cfg in self.configs.items():
            if phase7 == "none":
                break
            if phase7 == "selected":
                wanted = name == (profiles[0] if profiles else None)
            else:
                wanted = name is not None if profiles else True
            if not wanted:
                continue
            for target in self._targets_for(cfg, targets):
                found = check_target(cfg, self.graphs[name], target, self._local_profile())
                if sizes and REGISTRY[target].lowering is not None and \
                        not any(d.is_error for d in found):
                    # E405 needs the rendered bytes: lower in memory, as compile does
                    from .lowering import render_target

                    found += [d for d in render_target(cfg, self.graphs[name], target).diagnostics
                              if d.code == "E405"]
                self.add(found, name)

    def schema(self) -> bool:
        error = False
        result = check_schema(self.source, self.source.root)
        error |= self.add(result.diagnostics, None)
        docs = {None: result.document}
        for name in self.selected:
            tree, extra = apply_profile(self.source, name)
            self.trees[name] = tree
            res = check_schema(self.source, tree, profile=name)
            error |= self.add(extra + res.diagnostics, name)
            docs[name] = res.document
        if error:
            return True
        self.configs = {name: Config(self.source, self.trees[name], doc, name)
                        for name, doc in docs.items()}
        return False

    def references(self) -> bool:
        error = False
        for name, cfg in self.configs.items():
            cfg.refs, diags = check_references(cfg)
            error |= self.add(diags, name)
        return error

    def graph(self) -> bool:
        error = False
        for name, cfg in self.configs.items():
            self.graphs[name], diags = check_graph(cfg)
            error |= self.add(diags, name)
        return error

    def semantics(self) -> bool:
        error = False
        for name, cfg in self.configs.items():
            error |= self.add(check_semantics(cfg) + check_fanout_bounds(cfg), name)
        return error

    def _targets_for(self, cfg: Config, targets: list[str] | None) -> list[str]:
        if targets:
            return list(targets)
        block = cfg.doc.targets
        if block is None:
            return []
        return [t for t in COMPILE_TARGETS if getattr(block, t) is not None]

    def _local_profile(self) -> str | None:
        """A profile whose merged sources are all local (for E406's help)."""
        for name in self.names:
            tree = self.trees.get(name)
            if tree is None:
                tree, _ = apply_profile(self.source, name)
            sources = tree.get("sources") if isinstance(tree, dict) else None
            if isinstance(sources, dict) and sources and all(
                    isinstance(s, dict) and s.get("type") == "local" for s in sources.values()):
                return name
        return None

    def result(self) -> ValidationResult:
        return ValidationResult(self.source, sort_diagnostics(self.diags, self.names),
                                self.configs, self.graphs, self.names)
