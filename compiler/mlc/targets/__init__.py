"""targets: phase 7 of validation, what each target can express and hold (SPEC 8, 10). One
module a target (`argo`, `kubeflow`, `stepfunctions`, `local`), shared checks in `common`,
limits in `limits`, node budgets and the Argo split in `budget`."""

from collections.abc import Callable

from ..diagnostics import Diagnostic
from ..graph import PipelineGraph
from ..spec.config import Config
from ..spec.registry import COMPILE_TARGETS, TARGETS
from . import argo, kubeflow, local, stepfunctions
from .budget import ArgoPlan, argo_plan, run_nodes
from .limits import limit

RULES: dict[str, Callable] = {"argo": argo.check, "kubeflow": kubeflow.check,
                              "stepfunctions": stepfunctions.check, "local": local.check}
assert set(RULES) == set(TARGETS), "every registered target has its phase-7 rules"


def check_target(cfg: Config, graph: PipelineGraph, target: str,
                 local_profile: str | None = None) -> list[Diagnostic]:
    """Every phase-7 diagnostic of `cfg` for `target`, tagged `[target T]`."""
    return [d.tagged(target=target) for d in RULES[target](cfg, graph, local_profile)]


__all__ = ["COMPILE_TARGETS", "RULES", "TARGETS", "ArgoPlan", "argo_plan", "check_target",
           "limit", "run_nodes"]
