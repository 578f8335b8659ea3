"""render: documents -> deterministic bytes; WriteMode; atomic replacement of an output tree."""

from .bytes import header_line, render_documents, render_file
from .write import WriteMode, WriteResult, apply

__all__ = ["WriteMode", "WriteResult", "apply", "header_line", "render_documents",
           "render_file"]
