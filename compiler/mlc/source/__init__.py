"""source: bytes -> positioned tree, with the hostile-input limits of SPEC 9.3."""

from .loader import Limits, Loaded, Source, load_bytes, load_path
from .resolve import BadScalar
from .tree import ROOT_SPAN, Span, YMap, YSeq, dotted, find_in_scalar, locate, locate_key, to_plain

__all__ = ["ROOT_SPAN", "BadScalar", "Limits", "Loaded", "Source", "Span", "YMap", "YSeq", "dotted",
           "find_in_scalar", "load_bytes", "load_path", "locate", "locate_key", "to_plain"]
