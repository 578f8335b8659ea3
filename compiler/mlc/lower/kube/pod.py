"""What Argo and Kubeflow share as Kubernetes: container resources, node placement, and the
volumes a step's pod mounts (SPEC 6.1 output directories, SPEC 6.8 secret mounts).

Field reference: https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/
"""

from __future__ import annotations

from ...plan import Resources, StepPlan, k8s_resources
from ...plan.settings import KubeSettings

OUTPUTS_DIR = "/mlc/outputs"
SECRETS_DIR = "/mlc/secrets"


def container_resources(res: Resources) -> dict:
    """`resources:` of a container (requests and limits)."""
    return k8s_resources(res)


def node_selector(settings: KubeSettings, res: Resources) -> dict[str, str]:
    """The node labels of `targets.<t>.accelerators` for the step's accelerator."""
    return settings.node_selector(res.accelerator)


def volume_name(kind: str, name: str) -> str:
    """A volume name (DNS-1123: no `_`)."""
    return f"{kind}-{name.replace('_', '-')}"


def pod_volumes(step: StepPlan) -> tuple[list[dict], list[dict]]:
    """(volumeMounts, volumes): an emptyDir per directory output, so each exists before the
    command runs, and a writable /mlc/outputs when the step writes file or value outputs; a
    read-only secret volume per source credential, at /mlc/secrets/<secret>/."""
    mounts, volumes = [], []
    if any(not out.directory for out in step.outputs if not out.by_mlc):
        mounts.append({"name": "mlc-outputs", "mountPath": OUTPUTS_DIR})
        volumes.append({"name": "mlc-outputs", "emptyDir": {}})
    for out in step.outputs:
        if out.directory and not out.by_mlc:
            vol = volume_name("out", out.name)
            mounts.append({"name": vol, "mountPath": f"{OUTPUTS_DIR}/{out.name}"})
            volumes.append({"name": vol, "emptyDir": {}})
    for mount in step.secret_mounts:
        vol = volume_name("secret", mount.secret)
        mounts.append({"name": vol, "mountPath": f"{SECRETS_DIR}/{mount.secret}",
                       "readOnly": True})
        volumes.append({"name": vol, "secret": {"secretName": mount.store}})
    return mounts, volumes
