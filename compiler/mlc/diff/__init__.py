"""diff: the semantic diff of two validated mlc files (`mlc diff`): `compare.py` finds the
changes per configuration, `render.py` writes them as text, Markdown or JSON."""

from .compare import Change, ConfigDiff, Diff, FanOut, Side, compare, diff

__all__ = ["Change", "ConfigDiff", "Diff", "FanOut", "Side", "compare", "diff"]
