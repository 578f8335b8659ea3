"""cli: typer commands (`app.py`), the only code that prints and exits; `main.py` is the entry
point and its single error handler."""

import gc

# The command line is a short-lived process that allocates a lot and frees little: with
# CPython's default thresholds, the cyclic collector's generation 1 and 2 passes took 10% of
# a 1,000-step compile (and 5% of a one-step one, in imports). A larger first generation makes
# them rare; mypy does the same. Output does not depend on it. Set before typer and pydantic
# load, so their imports benefit too. `validate` and `compile` raise it further once their
# imports are done (`memory.settle`).
gc.set_threshold(100_000, 50, 100)

from .main import app, main  # noqa: E402

__all__ = ["app", "main"]
