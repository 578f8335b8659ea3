"""Phase 6: rules that need the whole, resolved document (SPEC 6, 7, 9.4).

Each `_rule_*` function takes the configuration and returns diagnostics; `check_semantics`
runs them all so that every problem of the phase is reported at once.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..diagnostics import Diagnostic
from .catalog import WAREHOUSE_TYPES, is_database_file
from .config import Config
from .cron import cron_problem
from .deploy_rules import server_field_rules
from .models import Choice, DeployStep, EvaluateStep, FeaturesStep, Local, RunStep
from .refgrammar import parse_template
from .types import duration_seconds


def check_semantics(cfg: Config) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for rule in RULES:
        out.extend(rule(cfg))
    return out


def mask(value: str) -> str:
    """SPEC 6.8: literals are masked to 4 characters plus one `*` per remaining character."""
    return value[:4] + "*" * max(len(value) - 4, 0)


# --- sources -----------------------------------------------------------------------------------

def _rule_tables(cfg: Config) -> Iterator[Diagnostic]:
    for sname, src in (cfg.doc.sources or {}).items():
        database = src.type in WAREHOUSE_TYPES or (isinstance(src, Local)
                                                   and is_database_file(src.path))
        for tname, table in src.tables.items():
            here = ("sources", sname, "tables", tname)
            if database and table.path is not None:
                yield cfg.diag("E104", f"table '{tname}' of {src.type} source '{sname}' takes "
                               "identifier or query, not path", here + ("path",), key=True)
            if not database and table.path is None:
                kind = "identifier" if table.identifier is not None else "query"
                yield cfg.diag("E104", f"table '{tname}' of {src.type} source '{sname}' takes "
                               f"path, not {kind}", here + (kind,), key=True,
                               hint="a local source reads a database only when its path ends "
                               "in .duckdb, .sqlite, .sqlite3 or .db" if src.type == "local"
                               else None)


# --- secrets and credentials (E601, E602) --------------------------------------------------------

_CRED_WORDS = {"PASSWORD", "PASSWD", "TOKEN", "SECRET"}
_CRED_PAIRS = {("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY")}
_URI_USERINFO = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@")
_SECRET_SHAPES = [
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a PEM private key"),
    (re.compile(r"\bghp_[A-Za-z0-9]{36}\b"), "a GitHub token"),
    (re.compile(r"\bxox[bp]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), "a JWT"),
]
# one pass over each string of the document finds those that may hold any of the shapes above
_ANY_SECRET_SHAPE = re.compile("|".join(p.pattern for p, _ in
                                        [(_URI_USERINFO, "")] + _SECRET_SHAPES))
# Each shape above holds one of these markers, which one search finds faster than the
# alternatives above, tried at every position of every string (thousands of steps). A file
# whose text holds no marker and no escape (a `\x41` in a double-quoted scalar could spell
# one) has no string that can hold a shape.
_SHAPE_MARKER = re.compile(r"://|AKIA|-----BEGIN|ghp_|xox[bp]-|eyJ")


def credential_env_name(name: str) -> bool:
    words = name.upper().split("_")
    if _CRED_WORDS.intersection(words):
        return True
    return any(pair in _CRED_PAIRS for pair in zip(words, words[1:]))


def _credential_fields(cfg: Config) -> Iterator[tuple[tuple, Any]]:
    for sname, src in (cfg.doc.sources or {}).items():
        yield ("sources", sname, "credentials"), src.credentials
    for name, step in cfg.doc.steps.items():
        if not isinstance(step, DeployStep) or step.strategy is None:
            continue
        analysis = step.strategy.canary.analysis
        base = ("steps", name, "strategy", "canary")
        if analysis is not None:
            yield base + ("analysis", "credentials"), analysis.credentials
        for i, cs in enumerate(step.strategy.canary.steps or []):
            if cs.experiment is not None and cs.experiment.platform is not None:
                yield (base + ("steps", i, "experiment", "platform", "credentials"),
                       cs.experiment.platform.credentials)


def _rule_literal_credentials(cfg: Config) -> Iterator[Diagnostic]:
    for path, value in _credential_fields(cfg):
        if value is not None and "${{" not in value:
            dotted = ".".join(str(p) for p in path)
            yield cfg.diag("E601", f'{dotted} must be a secret reference ("{mask(value)}")', path,
                           hint="declare it under secrets: and write ${{ secrets.<name> }}")
    for name, step in cfg.doc.steps.items():
        for var, value in getattr(step, "env", {}).items():
            if (isinstance(value, str) and "${{" in value) or not credential_env_name(var):
                continue
            text = str(value)
            yield cfg.diag("E601", f'env.{var} looks like a credential but is a literal '
                           f'("{mask(text)}")', ("steps", name, "env", var),
                           hint=f'bind a secret: {var}: "${{{{ secrets.<name>.<key> }}}}"')


def _rule_secret_shapes(cfg: Config) -> Iterator[Diagnostic]:
    text = cfg.source.text
    if "\\" not in text and _SHAPE_MARKER.search(text) is None:
        return
    for path, value in _marked_strings(cfg.root):
        if path and path[0] == "profiles" or not _ANY_SECRET_SHAPE.search(value):
            continue
        m = _URI_USERINFO.search(value)
        if m:
            yield cfg.diag("E601", f'URI with a password ("{mask(m.group(0))}")', path,
                           hint="remove user:password@ and use credentials: ${{ secrets.<s> }}")
            continue
        for pattern, what in _SECRET_SHAPES:
            found = pattern.search(value)
            if found:
                yield cfg.diag("E602", f'literal looks like {what} ("{mask(found.group(0))}")',
                               path, hint="revoke it, then reference a secret instead")
                break


def _marked_strings(node: Any) -> list[tuple[tuple, str]]:
    """(path, value) of every string holding a secret shape's marker (`_SHAPE_MARKER`)."""
    out: list[tuple[tuple, str]] = []
    _marked(node, (), out)
    return out


def _marked(node: Any, path: tuple, out: list) -> None:
    # a recursive walk that appends, and builds a path only for a marked string: thousands
    # of steps, where nested generators would pass each string up through every level
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, str):
                if _SHAPE_MARKER.search(v) is not None:
                    out.append((path + (k,), v))
            elif isinstance(v, (dict, list)):
                _marked(v, path + (k,), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, str):
                if _SHAPE_MARKER.search(v) is not None:
                    out.append((path + (i,), v))
            elif isinstance(v, (dict, list)):
                _marked(v, path + (i,), out)


# --- steps ----------------------------------------------------------------------------------------

def _rule_resources(cfg: Config) -> Iterator[Diagnostic]:
    for name, step in cfg.doc.steps.items():
        res = getattr(step, "resources", None)
        if res is None:
            continue
        here = ("steps", name, "resources")
        if res.gpu > 0 and res.accelerator is None:
            yield cfg.diag("E502", f"steps.{name} requests {res.gpu} gpu without an accelerator",
                           here + ("gpu",), hint="add accelerator: nvidia-l4 (or another model)")
        if res.accelerator is not None and res.gpu == 0:
            yield cfg.diag("E502", f"steps.{name} names accelerator {res.accelerator} but "
                           "requests no gpu", here + ("accelerator",), hint="add gpu: 1")


def _rule_foreach(cfg: Config) -> Iterator[Diagnostic]:
    for name, step in cfg.doc.steps.items():
        for dim, binding in (getattr(step, "foreach", None) or {}).items():
            if isinstance(binding, list) and not binding:
                yield cfg.diag("E103", f"steps.{name}.foreach.{dim} is an empty list",
                               ("steps", name, "foreach", dim), hint="an empty fan-out fails")
        if isinstance(step, FeaturesStep) and step.partition is not None and step.foreach:
            yield cfg.diag("E104", f"a partitioned features step cannot have foreach "
                           f"(steps.{name})", ("steps", name, "foreach"), key=True,
                           hint="partitioning already fans its outputs out")


def _rule_sweeps(cfg: Config) -> Iterator[Diagnostic]:
    for name, step in cfg.doc.steps.items():
        if not isinstance(step, RunStep) or step.sweep is None:
            continue
        sweep, here = step.sweep, ("steps", name, "sweep")
        if sweep.sampling_algorithm == "grid":
            for hp, spec in sweep.search_space.items():
                if not isinstance(spec, Choice):
                    yield cfg.diag("E403", f"grid sampling needs choice lists; '{hp}' is "
                                   f"{spec.type}", here + ("search_space", hp, "type"),
                                   hint="use type: choice with values, or sampling_algorithm: "
                                   "random")
            if sweep.limits is not None:
                yield cfg.diag("E403", "limits.max_total_trials applies to random sampling only",
                               here + ("limits",), key=True)
        elif sweep.limits is None:
            yield cfg.diag("E403", "random sampling needs limits.max_total_trials", here,
                           key=True, hint="add limits: {max_total_trials: 20}")
        yield from _ranges(cfg, sweep, here)
        metrics = [o for o, spec in step.outputs.items() if spec.type == "metrics"]
        if len(metrics) != 1:
            yield cfg.diag("E403", f"a sweep step needs exactly one metrics output (steps.{name} "
                           f"has {len(metrics)})", ("steps", name, "outputs") if step.outputs
                           else ("steps", name), key=True,
                           hint="declare outputs: {metrics: {type: metrics}}")


def _ranges(cfg: Config, sweep: Any, here: tuple) -> Iterator[Diagnostic]:
    for hp, spec in sweep.search_space.items():
        if isinstance(spec, Choice):
            continue
        at = here + ("search_space", hp)
        if spec.min_value >= spec.max_value:
            yield cfg.diag("E403", f"'{hp}': min_value must be less than max_value",
                           at + ("min_value",))
        if spec.type == "loguniform" and spec.min_value <= 0:
            yield cfg.diag("E403", f"'{hp}': loguniform bounds must be positive",
                           at + ("min_value",))
        if spec.type == "randint" and not all(float(v).is_integer()
                                              for v in (spec.min_value, spec.max_value)):
            yield cfg.diag("E403", f"'{hp}': randint bounds must be integers", at + ("min_value",))


# --- features ------------------------------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _rule_features(cfg: Config) -> Iterator[Diagnostic]:
    for name, step in cfg.doc.steps.items():
        if not isinstance(step, FeaturesStep):
            continue
        here = ("steps", name)
        if step.as_of is not None and "${{" not in step.as_of and not _DATE.match(step.as_of):
            yield cfg.diag("E105", f"as_of '{step.as_of}' is not a date (YYYY-MM-DD)",
                           here + ("as_of",))
        pit, split = step.point_in_time, step.split
        if pit is not None and split is not None and split.gap is not None and \
                duration_seconds(split.gap) < duration_seconds(pit.label_horizon):
            yield cfg.diag("E902", f"split.gap ({split.gap}) is shorter than "
                           f"point_in_time.label_horizon ({pit.label_horizon}, at "
                           f"{cfg.where(here + ('point_in_time', 'label_horizon'))})",
                           here + ("split", "gap"), hint=f"use gap: {pit.label_horizon} or more "
                           "(or omit it: it defaults to the label horizon)")
        if pit is not None and split is not None and split.by == "random":
            yield cfg.diag("W905", "random split with point_in_time leaks the future into "
                           "training", here + ("split", "by"), hint="use by: time")
        store = step.feature_store
        if pit is not None and store is not None and getattr(store, "provider", "") == "feast":
            for i, feature in enumerate(store.features):
                if feature.split(":")[-1] == pit.label:
                    yield cfg.diag("E904", f"the label '{pit.label}' is requested as a feature",
                                   here + ("feature_store", "features", i),
                                   hint="remove it from features")


def _rule_leakage(cfg: Config) -> Iterator[Diagnostic]:
    """E901 (test split) and E903 (holdout tables) read outside evaluate steps."""
    doc, refs = cfg.doc, cfg.refs
    for use in refs.uses if refs is not None else []:
        if use.step is None or isinstance(doc.steps[use.step], EvaluateStep):
            continue
        target = use.target
        if target.kind == "step_output" and target.name == "test" and \
                isinstance(doc.steps[target.step], FeaturesStep) and \
                "test" not in doc.steps[target.step].outputs:
            yield cfg.at("E901", f"steps.{use.step} reads the 'test' split; only evaluate steps "
                         "may", (use.line, use.col), path=use.path,
                         hint="read the train or validation split")
        if target.kind in ("table", "file"):
            src, tab = target.name.split(".")
            if (doc.sources or {})[src].tables[tab].holdout:
                yield cfg.at("E903", f"steps.{use.step} reads holdout table {target.name}; only "
                             "evaluate steps may", (use.line, use.col), path=use.path,
                             hint="read it in an evaluate step's datasets")


# --- evaluate, gates and deploy ------------------------------------------------------------------

def _rule_gates(cfg: Config) -> Iterator[Diagnostic]:
    for name, step in cfg.doc.steps.items():
        if not isinstance(step, EvaluateStep):
            continue
        for i, gate in enumerate(step.gates):
            here = ("steps", name, "gates", i)
            if gate.metric not in step.metrics:
                yield cfg.diag("E803", f"gate metric '{gate.metric}' is not in metrics "
                               f"[{', '.join(step.metrics)}]", here + ("metric",))
            if gate.dataset not in step.datasets:
                yield cfg.diag("E803", f"gate dataset '{gate.dataset}' is not one of datasets "
                               f"[{', '.join(step.datasets)}]", here + ("dataset",))
            if not gate.conditions:
                yield cfg.diag("E803", "a gate needs at least one of min, max, "
                               "min_absolute_change, min_relative_change", here)
            for kind in ("min_absolute_change", "min_relative_change"):
                if getattr(gate, kind) is not None and step.baseline is None:
                    yield cfg.diag("E803", f"{kind} compares with a baseline, but steps.{name} "
                                   "has no baseline", here + (kind,), key=True,
                                   hint="add baseline: models:/<name>@<alias> or a model "
                                   "binding")


def _rule_deploy(cfg: Config) -> Iterator[Diagnostic]:
    refs = cfg.refs
    gate_uses = {u.step: u for u in refs.uses if u.field == "gate"} if refs else {}
    model_uses = {u.step: u for u in refs.uses if u.field == "model"} if refs else {}
    for name, step in cfg.doc.steps.items():
        if not isinstance(step, DeployStep):
            continue
        if step.gate is None:
            yield cfg.diag("E801", f"deploy step '{name}' has no gate", ("steps", name), key=True,
                           hint="add gate: ${{ steps.<evaluate>.outputs.passed }}")
        else:
            use = gate_uses.get(name)
            producer = cfg.doc.steps.get(use.target.step) if use else None
            if use is not None and (not isinstance(producer, EvaluateStep)
                                    or use.target.name != "passed"):
                yield cfg.at("E802", f"gate must be an evaluate step's passed output, not "
                             f"{use.ref.path}", (use.line, use.col), path=use.path,
                             hint="gate: ${{ steps.<evaluate>.outputs.passed }}")
        model = model_uses.get(name)
        if model is not None and model.target.dims and step.route_by is None:
            yield cfg.at("E806", f"steps.{name} deploys a collection of models (one per "
                         f"{', '.join(model.target.dims)}) without route_by", (model.line,
                                                                                model.col),
                         path=model.path, hint=f"add route_by: {model.target.dims[0]}")
        yield from _canary_plan(cfg, name, step)
        if step.server is not None:
            yield from server_field_rules(cfg, name, step, step.server)


def _canary_plan(cfg: Config, name: str, step: DeployStep) -> Iterator[Diagnostic]:
    if step.strategy is None:
        return
    canary = step.strategy.canary
    steps = canary.steps if canary.steps is not None else []
    here = ("steps", name, "strategy", "canary", "steps")
    last = 0
    for i, cs in enumerate(steps):
        kind = cs.kind
        weight = cs.set_weight if kind == "set_weight" else (
            cs.experiment.weight if kind == "experiment" else None)
        at = here + (i, kind)
        if kind in ("analysis", "experiment") and canary.analysis is None:
            yield cfg.diag("E804", f"'{kind}' needs strategy.canary.analysis", at, key=True)
        if weight is None:
            continue
        low, high = (1, 99) if kind == "experiment" else (0, 100)
        if not low <= weight <= high:
            yield cfg.diag("E804", f"{kind} weight {weight} is outside {low}-{high}",
                           at + (("weight",) if kind == "experiment" else ()))
        elif weight < last:
            yield cfg.diag("E804", f"weights must not decrease: {weight} after {last}",
                           at + (("weight",) if kind == "experiment" else ()))
        last = max(last, weight)
    if steps and (steps[-1].kind != "set_weight" or steps[-1].set_weight != 100):
        yield cfg.diag("E804", "a canary plan must end with set_weight: 100", here + (len(steps)
                                                                                     - 1,),
                       hint="append - set_weight: 100")


# --- caching, images -----------------------------------------------------------------------------

def mutable_image(image: str) -> bool:
    if "@" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def cache_enabled(step: Any, doc: Any) -> bool:
    """SPEC 6.7: on by default, except for steps reading a non-local source or a baseline URI
    (`type: local` sources are hashed by content, like artifacts)."""
    fields = vars(step)  # a model's fields; a field another step type has is simply absent
    cache = fields.get("cache")
    if cache is not None:
        return cache if isinstance(cache, bool) else True
    sources = doc.sources
    if sources:  # (no sources: no step reads one)
        for value in _step_bindings(step):
            template = parse_template(value)[0] if isinstance(value, str) else None
            for ref in template.refs if template is not None else ():
                src = sources.get(ref.parts[0]) if ref.context == "sources" else None
                if src is not None and not isinstance(src, Local):
                    return False
    baseline = fields.get("baseline")
    return baseline is None or parse_template(baseline)[0].is_binding


def _step_bindings(step: Any) -> list:
    fields = vars(step)
    values = list((fields.get("inputs") or {}).values())
    if fields.get("entities") is not None:
        values.append(fields["entities"])
    values.extend((fields.get("datasets") or {}).values())
    return values


def _rule_mutable_images(cfg: Config) -> Iterator[Diagnostic]:
    for name, step in cfg.doc.steps.items():
        if isinstance(step, DeployStep):
            continue
        if mutable_image(step.image) and cache_enabled(step, cfg.doc):
            how = "explicitly" if step.cache is not None else "by default"
            yield cfg.diag("W910", f"steps.{name} is cached ({how}) but its image "
                           f"'{step.image}' is mutable", ("steps", name, "image"),
                           hint="pin a version or digest, or set cache: false")


# --- schedule ------------------------------------------------------------------------------------

def _rule_schedule(cfg: Config) -> Iterator[Diagnostic]:
    sched = cfg.doc.schedule
    if sched is None:
        return
    problem = cron_problem(sched.cron)
    if problem is not None:
        yield cfg.diag("E701", f'cron "{sched.cron}": {problem}', ("schedule", "cron"),
                       hint="five fields: minute hour day-of-month month day-of-week")
    if not valid_timezone(sched.timezone):
        yield cfg.diag("E703", f"unknown time zone '{sched.timezone}'", ("schedule", "timezone"),
                       hint="use an IANA name such as Europe/Berlin or America/New_York")


def valid_timezone(name: str) -> bool:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def code_files(base: str, globs: list[str]) -> dict[str, list[str]]:
    """Each `cache.include` glob's files, relative to `base` (the mlc file's directory), sorted;
    `**` crosses directories."""
    out = {}
    for pattern in globs:
        found = glob.glob(os.path.join(base, pattern), recursive=True)
        out[pattern] = sorted(os.path.relpath(f, base) for f in found if os.path.isfile(f))
    return out


def _rule_cache_include(cfg: Config) -> Iterator[Diagnostic]:
    """E104: a `cache.include` glob that matches no file (SPEC 6.7). Only where the mlc file
    is on disk (a git revision of `mlc diff` has no files beside it)."""
    if not os.path.isfile(cfg.file):
        return
    base = os.path.dirname(os.path.abspath(cfg.file))
    for name, step in cfg.doc.steps.items():
        cache = getattr(step, "cache", None)
        if isinstance(cache, bool) or cache is None or not cache.include:
            continue
        for i, (pattern, files) in enumerate(code_files(base, cache.include).items()):
            if not files:
                yield cfg.diag("E104", f"cache.include '{pattern}' matches no file",
                               ("steps", name, "cache", "include", i),
                               hint="globs are relative to the mlc file's directory; ** "
                               "crosses directories")


RULES: list[Callable[[Config], Any]] = [
    _rule_tables, _rule_literal_credentials, _rule_secret_shapes, _rule_resources, _rule_foreach,
    _rule_sweeps, _rule_features, _rule_leakage, _rule_gates, _rule_deploy, _rule_mutable_images,
    _rule_schedule, _rule_cache_include,
]
