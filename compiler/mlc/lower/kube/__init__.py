"""What Argo and Kubeflow share as Kubernetes (`pod.py`: resources, placement, volumes)."""

from .pod import container_resources, node_selector, pod_volumes, volume_name

__all__ = ["container_resources", "node_selector", "pod_volumes", "volume_name"]
