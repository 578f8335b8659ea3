"""The facade: validate (and later compile, run) return results; they never print or exit.

Phases (SPEC 9.2), each run over every configuration being checked (the base and the merged
profiles) and stopping after the first phase that found an error:
1 parse - 2 schema - 3 profiles (merge; then 2, 4-7 on each) - 4 references - 5 graph -
6 semantics - 7 target.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, sort_diagnostics
from .graph import PipelineGraph, check_fanout_bounds, check_graph
from .source import Limits, Source, load_bytes, load_path
from .source.resolve import YAML11_BOOLEANS
from .spec.config import Config
from .spec.profiles import apply_profile, profile_names
from .spec.references import check_references
from .spec.schema import check_schema
from .spec.semantics import check_semantics
from . import __version__
from .spec.registry import COMPILE_TARGETS, REGISTRY, TARGETS
from .targets import check_target


class UsageError(Exception):
    """A mistake in how mlc was called (exit 2): missing file, unknown profile or target."""


@dataclass
class ValidationResult:
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
             data: bytes | None = None) -> ValidationResult:
    """Validate a file: the base always, and every profile (or only `profiles`).

    `phase7="checked"` runs phase 7 on the configurations being checked (SPEC 9.1); with
    `phase7="selected"` (compile, run) only on the selected profile, or the base without one;
    `phase7="none"` (diff) not at all. `data` is the file's content when it does not come
    from disk (a git revision); `path` then only names it.
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
    run.phases(targets, profiles, phase7)
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

    def phases(self, targets: list[str] | None, profiles: list[str] | None, phase7: str) -> None:
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
                self.add(check_target(cfg, self.graphs[name], target, self._local_profile()),
                         name)

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


@dataclass
class CompileResult:
    """What `compile` produced: files by relative path, and how they compare on disk."""

    diagnostics: list[Diagnostic]
    target: str
    directory: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    write: object = None  # render.WriteResult

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def compile(path: str, *, target: str, profile: str | None = None, out: str = "build",  # noqa: A001
            kind: str = "template", mode: str = "write",
            limits: Limits = Limits()) -> CompileResult:
    """Validate (base 1-6, the selected configuration 1-7 for `target`), lower, render, write.

    Nothing is written unless every phase passed and `mode` is "write".
    """
    from .lower.base import Options, load_target
    from .plan.build import build_plan, build_settings
    from .render import WriteMode, apply, render_file
    from .render.bytes import render_documents

    if target not in COMPILE_TARGETS:
        raise UsageError(f"unknown target '{target}' (choose from {', '.join(COMPILE_TARGETS)})")
    lowering = REGISTRY[target].lowering
    if lowering is None:
        raise UsageError(f"mlc {__version__} cannot compile for {target} yet; `mlc validate "
                         f"--target {target}` checks a pipeline against its rules")
    if kind not in ("template", "workflow"):
        raise UsageError(f"unknown kind '{kind}' (template, workflow)")
    result = validate(path, profiles=[profile] if profile else None, targets=[target],
                      limits=limits, phase7="selected")
    outcome = CompileResult(result.diagnostics, target)
    if not result.ok:
        return outcome
    cfg, graph = result.configs[profile], result.graphs[profile]
    plan = build_plan(cfg, graph, target)
    lowered = load_target(lowering).lower(plan, build_settings(cfg, target), Options(kind=kind))
    source_name = os.path.basename(path)
    documents = {name: render_documents(content if isinstance(content, list) else [content])
                 for name, content in lowered.files.items() if name.endswith(".yaml")}
    files = {name: render_file(name, content, source_name, documents.get(name))
             for name, content in sorted(lowered.files.items())}
    size_errors = _definition_sizes(cfg, target, lowered.files, documents)
    outcome.diagnostics = sort_diagnostics(result.diagnostics + lowered.diagnostics + size_errors,
                                           result.profiles)
    if not outcome.ok:
        return outcome
    directory = os.path.join(out, target)
    outcome.directory, outcome.files = directory, files
    from pathlib import Path

    outcome.write = apply(Path(directory), files, WriteMode(mode), f"{out}/{target}".lstrip("./"))
    return outcome


def _definition_sizes(cfg: Config, target: str, files: dict,
                      documents: dict[str, list[bytes]]) -> list[Diagnostic]:
    """E405: each Argo object, pipeline.yaml and the ASL at most max_definition_bytes."""
    from .targets import limit

    cap = limit(cfg.doc, target, "max_definition_bytes")
    out = []
    for name, content in sorted(files.items()):
        docs = content if isinstance(content, list) else [content]
        for i, doc in enumerate(docs):
            size = len(documents[name][i]) if name in documents else \
                len(json.dumps(doc).encode("utf-8"))
            if size > cap:
                kind = doc.get("kind", name) if isinstance(doc, dict) else name
                out.append(cfg.at("E405", f"[target {target}] {kind} in {name} is {size} bytes; "
                                  f"limit {cap}", (1, 1),
                                  hint="reduce literal lists and steps, or raise "
                                  f"targets.{target}.limits.max_definition_bytes"))
    return out


def run(path: str, *, profile: str | None = None, params: list[str] = (),  # noqa: C901
        run_id: str | None = None, parallel: int | None = None, no_cache: bool = False,
        secrets_dir: str | None = None, limits: Limits = Limits(), stream=None):
    """Validate for target local (base 1-6, the selected configuration 1-7), then run.

    Returns (diagnostics, outcome): outcome is None when validation found errors.
    UsageError for a bad --param, --run-id or --parallel (exit 2).
    """
    import sys
    from pathlib import Path

    from .plan.build import build_plan
    from .run import run_fields, run_local, typed_params
    from .run.folders import RUN_ID

    if run_id is not None and not RUN_ID.match(run_id):
        raise UsageError(f"--run-id '{run_id}' must match ^[A-Za-z0-9][A-Za-z0-9._-]{{0,62}}$")
    if parallel is not None and parallel < 1:
        raise UsageError("--parallel must be at least 1")
    given = {}
    for text in params:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise UsageError(f"--param '{text}' is not NAME=VALUE")
        given[name] = value
    result = validate(path, profiles=[profile] if profile else None, targets=["local"],
                      limits=limits, phase7="selected")
    if not result.ok:
        return result.diagnostics, None
    cfg, graph = result.configs[profile], result.graphs[profile]
    plan = build_plan(cfg, graph, "local")
    timezone = cfg.doc.schedule.timezone if cfg.doc.schedule is not None else "UTC"
    fields = run_fields(run_id, timezone)
    try:
        values = typed_params(plan, given, fields)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    project = Path(os.path.abspath(path)).parent
    if (project / ".mlc" / "runs" / fields["id"]).exists():
        raise UsageError(f"run id '{fields['id']}' was already used in {project / '.mlc/runs'}")
    for folder in [project / ".mlc" / "runs"] + ([] if no_cache else [project / ".mlc" / "cache"]):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise UsageError(f"cannot create {folder}: a file is in the way") from None
        except OSError as exc:
            raise UsageError(f"cannot create {folder}: {exc.strerror or exc}") from None
    secrets = Path(secrets_dir).expanduser() if secrets_dir else \
        Path("~/.config/mlc/secrets").expanduser()
    outcome = run_local(plan, project, params=values, run=fields,
                        parallel=parallel or os.cpu_count() or 1, no_cache=no_cache,
                        secrets_dir=secrets, stream=stream or sys.stderr)
    return result.diagnostics, outcome


def read_revision(spec: str, limits: Limits = Limits()) -> bytes:
    """The bytes of BASE or HEAD for `mlc diff`: a file, or `REV:path` through `git show`.

    The path of `REV:path` is git's: relative to the repository root, or to the current
    directory with `./`; when git finds nothing at the root-relative path, `./path` is tried.
    """
    import subprocess

    if os.path.isfile(spec):
        try:
            with open(spec, "rb") as fh:
                return fh.read(limits.max_file_size + 1)
        except OSError as exc:
            raise UsageError(f"{spec}: cannot read: {exc.strerror}") from None
    if os.path.isdir(spec):
        raise UsageError(f"{spec} is a directory; give the mlc.yaml file")
    rev, sep, rel = spec.partition(":")
    if not sep or not rel:
        raise UsageError(f"{spec}: no such file (a git revision is written REV:path, "
                         "e.g. main:mlc.yaml)")
    attempts = [f"{rev}:{rel}"]
    if not rel.startswith(("./", "../", "/")):
        attempts.append(f"{rev}:./{rel}")
    message = ""
    for obj in attempts:
        try:
            done = subprocess.run(["git", "show", obj], capture_output=True)
        except FileNotFoundError:
            raise UsageError(f"{spec}: git is not installed, so REV:path cannot be read") from None
        if done.returncode == 0:
            return done.stdout
        if not message and done.stderr.strip():  # git's first complaint is the clearest
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()[0]
    raise UsageError(f"{spec}: {message or 'git show failed'}")


def diff(base: str, head: str, *, limits: Limits = Limits()):
    """Validate BASE and HEAD (files or REV:path) and compare them (`mlc diff`).

    Returns (diagnostics, Diff | None): None when either side has errors (phases 1-6; target
    rules are not needed to compare two pipelines). UsageError for an unreadable side.
    """
    from .diff import Side, diff as compare

    sides = []
    diags: list[Diagnostic] = []
    for spec in (base, head):
        result = validate(spec, limits=limits, phase7="none",
                          data=read_revision(spec, limits))
        diags += result.diagnostics
        sides.append(Side(spec, result.configs, result.graphs, result.profiles)
                     if result.ok else None)
    if any(side is None for side in sides):
        return diags, None
    return diags, compare(sides[0], sides[1])


@dataclass
class InitResult:
    """What `mlc init` wrote, compiled and ran."""

    directory: str
    template: str
    name: str
    files: list[str]
    compiled: list[str] = field(default_factory=list)
    post_init: list[tuple[str, bool, str]] = field(default_factory=list)  # script, ok, output
    run: str = "mlc run"


def init_templates() -> dict[str, str]:
    """Template name -> one-line description (for prompts and --help)."""
    from .scaffold import TemplateError, available

    try:
        return {name: t.description for name, t in available().items()}
    except TemplateError as exc:
        raise UsageError(str(exc)) from None


def init(directory: str, *, template: str = "minimal", name: str | None = None,
         force: bool = False, post_init: bool = True) -> InitResult:
    """Scaffold a project: render the template in memory, validate its mlc.yaml, write the
    files, compile the configured targets into build/ (CI checks them), run the template's
    post-init scripts (e.g. the dev data). UsageError for a bad template, name or directory."""
    import subprocess
    import sys
    from pathlib import Path

    from .scaffold import TemplateError, available, check_name, occupied, project_name, render, write

    templates = available()
    if template not in templates:
        raise UsageError(f"unknown template '{template}' (templates: {', '.join(templates)})")
    target_dir = Path(directory)
    name = name or project_name(target_dir.resolve().name)
    problem = check_name(name)
    if problem:
        raise UsageError(problem)
    if target_dir.exists() and not target_dir.is_dir():
        raise UsageError(f"{directory} is a file; give a directory for the new project")
    present = occupied(target_dir)
    if present and not force:
        shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
        raise UsageError(f"{directory} is not empty ({shown}); choose an empty directory or "
                         "pass --force to write over the template's files")

    def checks_of(data: bytes) -> tuple[list[dict], list[str]]:
        result = validate("mlc.yaml", data=data)
        if not result.ok:  # a shipped template must be valid: this is mlc's bug
            raise RuntimeError("template mlc.yaml is invalid: " + str(result.errors[0]))
        checks = []
        for profile, cfg in result.configs.items():
            block = cfg.doc.targets
            for t in COMPILE_TARGETS:
                if block is None or getattr(block, t) is None:
                    continue
                args = ["--target", t]
                if profile is not None:
                    args += ["--profile", profile, "--out", f"build/{profile}"]
                checks.append({"target": t, "profile": profile, "args": args,
                               "out": f"build/{profile}" if profile else "build",
                               "label": t if profile is None else f"{t}, {profile}"})
        return checks, result.profiles

    try:
        files, variables = render(templates[template], name, checks_of)
    except TemplateError as exc:
        raise UsageError(str(exc)) from None
    try:
        write(target_dir, files)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or directory}: {exc.strerror}") from None
    outcome = InitResult(str(target_dir), template, name, sorted(files),
                         run=templates[template].run)
    mlc_file = str(target_dir / "mlc.yaml")
    for check in variables["compile_checks"]:
        done = compile(mlc_file, target=check["target"], profile=check["profile"],
                       out=str(target_dir / check["out"]))
        if not done.ok:
            raise RuntimeError("template does not compile: " + str(done.diagnostics[0]))
        outcome.compiled += [f"{check['out']}/{check['target']}/{f}" for f in done.files]
    for script in templates[template].post_init if post_init else []:
        done = subprocess.run([sys.executable, script], cwd=target_dir, capture_output=True,
                              text=True)
        output = (done.stdout + done.stderr).strip()
        outcome.post_init.append((script, done.returncode == 0, output))
    return outcome
