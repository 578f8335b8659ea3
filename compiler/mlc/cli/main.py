"""The command line: the only code that prints and exits (typer).

Commands import the facade lazily, so `mlc --help` starts without pydantic or networkx.
"""

from __future__ import annotations

import sys

from .. import __version__
from .app import app
from .memory import finish


def main() -> None:
    """Console entry point: exit codes 0/1/2 (SPEC 9.1); internal errors say 'this is a bug'."""
    try:
        app(prog_name="mlc")
    except SystemExit:
        finish()
        raise
    except KeyboardInterrupt:
        sys.stderr.write("mlc: interrupted\n")
        sys.exit(130)
    except Exception:  # noqa: BLE001 - the single error handler (bugs only)
        import traceback

        sys.stderr.write(f"mlc: internal error: this is a bug, please report it "
                         f"(mlc {__version__})\n")
        traceback.print_exc()
        sys.exit(2)
