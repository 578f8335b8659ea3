"""Phase 7 for kubeflow (SPEC 6.7, 8, 10): a namespace for deploys, cloud sources, name
lengths, accelerators as node labels, KServe deploys, the one cluster-wide scheduler time
zone, and the node budget of one run (KFP does not split runs)."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..graph import PipelineGraph
from ..spec.config import Config
from .budget import run_nodes
from .common import (
    accelerators,
    block,
    cloud_sources,
    deploys,
    has_deploy,
    name_lengths,
    no_replace,
    over_budget,
    required_fields,
    routed_endpoint_names,
)
from .limits import K8S_NAME, limit


def check(cfg: Config, graph: PipelineGraph, local_profile: str | None) -> Iterator[Diagnostic]:
    yield from required_fields(cfg, "kubeflow", ["namespace"] if has_deploy(cfg) else [])
    yield from cloud_sources(cfg, "kubeflow")
    yield from name_lengths(cfg, [(K8S_NAME, "Kubernetes object names")])
    yield from routed_endpoint_names(cfg)
    yield from accelerators(cfg, "kubeflow", "node labels")
    yield from schedule(cfg)
    yield from deploys(cfg, "kubeflow", "kserve")
    max_nodes = limit(cfg.doc, "kubeflow", "max_nodes_per_workflow")
    total, exps = run_nodes(cfg)
    if total > max_nodes:
        yield from over_budget(cfg, exps, max_nodes, total, "in one run")


def schedule(cfg: Config) -> Iterator[Diagnostic]:
    """E702: no `replace`; the schedule's zone must be the cluster's one zone."""
    sched = cfg.doc.schedule
    if sched is None:
        return
    yield from no_replace(cfg, "kubeflow")
    found = block(cfg, "kubeflow")
    zone = found.scheduler_timezone if found is not None else "UTC"
    if sched.timezone != zone:
        yield cfg.diag("E702", f"schedule.timezone {sched.timezone} differs from "
                       f"targets.kubeflow.scheduler_timezone ({zone}); Kubeflow uses one "
                       "cluster-wide zone", ("schedule", "timezone"),
                       hint=f"set targets.kubeflow.scheduler_timezone: {sched.timezone} if "
                       "that is the cluster's zone")
