"""The argo target (SPEC 8, 10, 11): `workflow.py` builds the documents, `dag.py` the DAGs of
each step, `steps.py` its templates, `deploy.py` the rollout, `syntax.py` Argo's template
syntax. Plain dicts; `render/` turns them into bytes."""

from .workflow import TARGET, ArgoTarget, Builder

__all__ = ["TARGET", "ArgoTarget", "Builder"]
