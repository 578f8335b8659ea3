"""targets: what each target can express and hold (SPEC 8, 10); phase 7 of validation."""

from .budget import ArgoPlan, argo_plan, run_nodes
from .limits import TARGETS, limit
from .rules import check_target

__all__ = ["TARGETS", "ArgoPlan", "argo_plan", "check_target", "limit", "run_nodes"]
