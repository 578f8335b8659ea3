"""Phase-7 checks that several targets share, each parametrised by what differs (required
fields, name limits, the native deploy server, how an accelerator is placed). The per-target
modules (`argo.py`, `kubeflow.py`, `stepfunctions.py`, `local.py`) compose them with their own
rules; `targets.check_target` dispatches by name through `RULES`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic, Note
from ..graph import Expansion
from ..spec.config import Config
from ..spec.deploy_rules import capability_problems, effective_server, server_field_rules
from ..spec.models import DeployStep
from ..spec.profiles import base_name
from ..spec.references import RefUse
from .limits import K8S_NAME


def block(cfg: Config, target: str):
    """`targets.<target>` of the configuration, or None."""
    return getattr(cfg.doc.targets, target, None) if cfg.doc.targets is not None else None


def has_deploy(cfg: Config) -> bool:
    return any(isinstance(s, DeployStep) for s in cfg.doc.steps.values())


def required_fields(cfg: Config, target: str, required: list[str]) -> Iterator[Diagnostic]:
    """E104: fields of `targets.<target>` that compiling needs (SPEC 7, marked *)."""
    if not required:
        return
    found = block(cfg, target)
    missing = [f for f in required if found is None or getattr(found, f) is None]
    if not missing:
        return
    fields = ", ".join(missing)
    if found is not None:
        path, message = ("targets", target), f"targets.{target} is missing {fields}"
    else:
        path = ("targets",) if "targets" in cfg.root else ()
        message = f"targets.{target} is missing (compiling for {target} needs {fields})"
    yield cfg.diag("E104", message, path, key=True,
                   hint=f"add targets: {{{target}: {{{', '.join(f + ': ...' for f in missing)}}}}}")


def cloud_sources(cfg: Config, target: str) -> Iterator[Diagnostic]:
    """E406: a compiled target reads no `type: local` source."""
    first = True
    for name, src in (cfg.doc.sources or {}).items():
        if src.type != "local":
            continue
        hint = None
        if first:
            hint = ("point it at cloud storage in a profile, e.g. profiles: {prod: {sources: "
                    f"{{{name}: {{type: s3, bucket: my-bucket, path: null}}}}}}}}")
        first = False
        yield cfg.diag("E406", f"source '{name}' has type 'local'; {target} reads cloud "
                       "sources only", ("sources", name, "type"), hint=hint)


def name_lengths(cfg: Config, checks: list[tuple[int, str]]) -> Iterator[Diagnostic]:
    """E404 on names built from the project (and profile): the first limit exceeded."""
    base = base_name(cfg.doc.project.name, cfg.profile)
    for max_len, what in checks:
        if len(base) > max_len:
            yield cfg.diag("E404", f"name '{base}' has {len(base)} characters; {what} allow "
                           f"{max_len}", ("project", "name"),
                           hint="shorten project.name" + (" or the profile name"
                                                          if cfg.profile else ""))
            return


def routed_endpoint_names(cfg: Config) -> Iterator[Diagnostic]:
    """E404: the InferenceServices of a routed collection are `<endpoint>-<8 hex>`."""
    for name, step in cfg.doc.steps.items():
        if isinstance(step, DeployStep) and step.route_by is not None and \
                len(step.endpoint) + 9 > K8S_NAME:
            yield cfg.diag("E404", f"InferenceService names '{step.endpoint}-<8 hex>' would "
                           f"have {len(step.endpoint) + 9} characters; limit {K8S_NAME}",
                           ("steps", name), key=True, hint="shorten endpoint to 54 characters")


def accelerators(cfg: Config, target: str, placement: str) -> Iterator[Diagnostic]:
    """E501: every accelerator a step uses is placed by `targets.<t>.accelerators`."""
    found = block(cfg, target)
    placed = found.accelerators if found is not None else {}
    for name, step in cfg.doc.steps.items():
        res = getattr(step, "resources", None)
        if res is not None and res.accelerator is not None and res.accelerator not in placed:
            yield cfg.diag("E501", f"accelerator {res.accelerator} of steps.{name} is not placed "
                           f"on {target}", ("steps", name, "resources", "accelerator"),
                           hint=f"map it under targets.{target}.accelerators."
                           f"{res.accelerator} ({placement})")


def no_replace(cfg: Config, target: str) -> Iterator[Diagnostic]:
    """E702: `concurrency: replace` where the scheduler cannot stop the running run."""
    sched = cfg.doc.schedule
    if sched is not None and sched.concurrency == "replace":
        yield cfg.diag("E702", f"concurrency 'replace' is not available on {target}",
                       ("schedule", "concurrency"), hint="use allow or forbid")


def deploys(cfg: Config, target: str, native: str) -> Iterator[Diagnostic]:
    """E805 and the server's field rules (SPEC 6.6): `native` is the one server of `target`."""
    model_uses: dict[str, RefUse] = {u.step: u for u in cfg.refs.uses if u.field == "model"} \
        if cfg.refs else {}
    for name, step in cfg.doc.steps.items():
        if not isinstance(step, DeployStep):
            continue
        server = effective_server(step, target)
        use = model_uses.get(name)
        collection = bool(use is not None and use.target.dims)
        if server != native:
            where = "locally" if target == "local" else f"on {target}"
            problems = capability_problems(cfg, name, step, native, target, collection)
            notes = ()
            if problems:
                labels = [p.label for p in problems]
                joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + \
                    labels[-1]
                notes = (Note(f"with server: {native}, {joined} would be E805 as well"),)
            yield cfg.diag("E805", f"server '{server}' is not available {where} ({native} is)",
                           ("steps", name, "server") if step.server else ("steps", name),
                           key=step.server is None, notes=notes)
            continue
        for p in capability_problems(cfg, name, step, server, target, collection):
            yield cfg.diag("E805", p.message, p.path, key=p.key)
        if step.server is None:
            yield from server_field_rules(cfg, name, step, server, None)


def over_budget(cfg: Config, exps: dict[str, Expansion], max_nodes: int, total: int,
                where: str) -> Iterator[Diagnostic]:
    """E401: the steps that alone exceed the budget, else the largest one, with the arithmetic."""
    over = [e for e in exps.values() if e.nodes > max_nodes]
    if not over:
        largest = max(exps.values(), key=lambda e: e.nodes)
        yield cfg.diag("E401", f"the run expands to {total} nodes {where}; limit {max_nodes} "
                       f"(largest: steps.{largest.step}, {largest.nodes})",
                       ("steps", largest.step), key=True, notes=(Note(largest.explain(cfg)),))
        return
    for exp in over:
        yield cfg.diag("E401", f"steps.{exp.step} expands to {exp.nodes} nodes {where}; limit "
                       f"{max_nodes}", ("steps", exp.step), key=True,
                       notes=(Note(exp.explain(cfg)),))
