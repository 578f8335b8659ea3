"""Diagnostics: the one Diagnostic type, the code registry, renderers and did-you-mean."""

from .codes import REGISTRY, Code, lookup
from .model import Diagnostic, Note, exit_code, sort_diagnostics

__all__ = ["REGISTRY", "Code", "Diagnostic", "Note", "exit_code", "lookup", "sort_diagnostics"]
