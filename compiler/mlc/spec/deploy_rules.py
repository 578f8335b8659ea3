"""Deploy rules that depend on the server and target (SPEC 6.6): E104 and E805."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..diagnostics import Diagnostic
from ..record import Record
from .config import Config
from .models import DeployStep
from .registry import REGISTRY

DEFAULT_SERVER = {name: t.server for name, t in REGISTRY.items()}
PROVIDER = {"kserve": "prometheus", "sagemaker": "cloudwatch"}


def effective_server(step: DeployStep, target: str | None) -> str | None:
    if step.server is not None:
        return step.server
    return DEFAULT_SERVER.get(target) if target else None


def server_field_rules(cfg: Config, name: str, step: DeployStep, server: str,
                       target: str | None = None) -> Iterator[Diagnostic]:
    """Fields each server requires or refuses (E104, E805)."""
    here = ("steps", name)
    if server == "kserve":
        if (step.model_format is None) == (step.image is None):
            given = "both" if step.model_format is not None else "neither"
            yield cfg.diag("E104", f"a kserve deploy needs exactly one of model_format, image "
                           f"({given} given)", here, key=True, target=target,
                           hint="model_format: mlflow (or sklearn, xgboost, ...), or a custom "
                           "image")
        if step.instance_type is not None:
            yield cfg.diag("E805", "instance_type is sagemaker-only; kserve uses resources",
                           here + ("instance_type",), key=True, target=target)
    else:
        missing = [f for f in ("image", "instance_type") if getattr(step, f) is None]
        if missing:
            yield cfg.diag("E104", f"a sagemaker deploy needs image and instance_type (missing "
                           f"{' and '.join(missing)})", here, key=True, target=target)
        if step.resources is not None:
            yield cfg.diag("E805", "resources is kserve-only; sagemaker uses instance_type",
                           here + ("resources",), key=True, target=target)


@dataclass(frozen=True, eq=False, repr=False)
class Inexpressible(Record):
    """A rollout setting a target cannot express, for a note or an error."""

    label: str      # "route_by (117:15)" style label for notes
    message: str
    path: tuple
    key: bool


def capability_problems(cfg: Config, name: str, step: DeployStep, server: str,
                        target: str, collection: bool) -> list[Inexpressible]:
    """Constructs of the SPEC 6.6 table that `server` on `target` cannot express."""
    out: list[Inexpressible] = []
    here = ("steps", name)
    if collection and step.route_by is not None and server == "sagemaker":
        out.append(Inexpressible(f"route_by ({cfg.where(here + ('route_by',))})",
                                 "route_by: sagemaker cannot route by a request field (at most "
                                 "10 variants)", here + ("route_by",), False))
    canary = step.strategy.canary if step.strategy is not None else None
    for i, cs in enumerate((canary.steps or []) if canary is not None else []):
        if cs.mirror is not None and server == "kserve":
            mesh = getattr(getattr(cfg.doc.targets, target, None), "mesh", "none") \
                if target != "local" and cfg.doc.targets is not None else "none"
            if target == "local" or mesh != "istio":
                path = here + ("strategy", "canary", "steps", i, "mirror")
                msg = ("'mirror' on kserve needs a service mesh; mlc run cannot mirror traffic"
                       if target == "local" else
                       f"'mirror' on kserve needs targets.{target}.mesh: istio")
                out.append(Inexpressible(f"mirror ({cfg.where(path, key=True)})", msg, path, True))
    if canary is not None and canary.analysis is not None:
        provider = canary.analysis.provider
        if provider is not None and provider != PROVIDER[server]:
            path = here + ("strategy", "canary", "analysis", "provider")
            out.append(Inexpressible(f"provider '{provider}' ({cfg.where(path)})",
                                     f"analysis provider '{provider}' is not available with "
                                     f"{server} ({PROVIDER[server]} is)", path, False))
    if step.replicas.min == 0 and server == "sagemaker":
        path = here + ("replicas", "min")
        out.append(Inexpressible(f"replicas.min 0 ({cfg.where(path)})",
                                 "replicas.min: 0 (scale to zero) is not available on sagemaker",
                                 path, False))
    return out
