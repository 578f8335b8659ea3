"""The facade: validate, compile, run, diff and init return results; they never print or exit.

One module a command: `validation.py` (the phase runner), `compiling.py` (plan, lower, render,
E405), `running.py`, `revisions.py` (`mlc diff` and git revisions), `scaffolding.py` (`mlc init`).
"""

from .compiling import CompileResult, compile
from .revisions import diff, read_revision
from .running import run
from .scaffolding import InitResult, init, init_templates
from .validation import UsageError, ValidationResult, read_source, validate

__all__ = ["CompileResult", "InitResult", "UsageError", "ValidationResult", "compile", "diff",
           "init", "init_templates", "read_revision", "read_source", "run", "validate"]
