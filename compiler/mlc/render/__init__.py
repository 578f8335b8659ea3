"""render: documents -> deterministic bytes; WriteMode; atomic replacement of an output tree."""

from .bytes import Flow, header_line, render_file
from .write import WriteMode, WriteResult, apply

__all__ = ["Flow", "WriteMode", "WriteResult", "apply", "header_line", "render_file"]
