"""targets: what each target can express and hold (SPEC 8, 10); phase 7 of validation."""

from .budget import ArgoPlan, argo_plan, run_nodes
from ..spec.registry import COMPILE_TARGETS, TARGETS
from .limits import limit
from .rules import check_target

__all__ = ["COMPILE_TARGETS", "TARGETS", "ArgoPlan", "argo_plan", "check_target", "limit", "run_nodes"]
