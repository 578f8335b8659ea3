"""The kubeflow target (SPEC 8, 10, 11): `pipeline.py` maps the plan's units to KFP's IR
(`ir.py`), `syntax.py` holds placeholders and the container driver, `deploy.py` the rollout.
Plain dicts; `render/` turns them into bytes. kfp itself is never imported here."""

from .pipeline import TARGET, KubeflowTarget

__all__ = ["TARGET", "KubeflowTarget"]
