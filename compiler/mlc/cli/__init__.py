"""cli: typer commands (`app.py`), the only code that prints and exits; `main.py` is the entry
point and its single error handler."""

from .main import app, main

__all__ = ["app", "main"]
