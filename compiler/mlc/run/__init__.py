"""run: the local runner (SPEC 12): the same plan as the targets, as processes on this machine.
`local.py` runs a plan; `scheduler.py`, `tasks.py`, `executor.py`, `cache.py`, `folders.py`,
`outputs.py`, `progress.py` and `deploy.py` do the parts."""

from .local import RunOutcome, run_fields, run_local, typed_params

__all__ = ["RunOutcome", "run_fields", "run_local", "typed_params"]
