"""Options declared once and shared by every command (dbt's cli/params.py)."""

from __future__ import annotations

import re

import typer

FILE = typer.Argument("mlc.yaml", metavar="FILE", help="The mlc file (default: ./mlc.yaml).", show_default=False)
PROFILES = typer.Option(None, "--profile", "-p", metavar="PROFILE", help="Check only this profile (repeatable).")
PROFILE = typer.Option(None, "--profile", "-p", metavar="PROFILE", help="Apply this profile.")
TARGETS = typer.Option(None, "--target", "-t", metavar="TARGET",
                       help="Check target rules for argo, kubeflow, stepfunctions or local "
                            "(repeatable).")
FORMAT = typer.Option("text", "--format", "-f", envvar="MLC_OUTPUT_FORMAT", metavar="FORMAT",
                      help="text, json, github or sarif.")
DEFAULT_MAX_FILE_SIZE = "10MiB"
MAX_FILE_SIZE = typer.Option(DEFAULT_MAX_FILE_SIZE, "--max-file-size", metavar="SIZE",
                             help="Refuse larger files before parsing (bytes, KiB, MiB).")

_SIZE = re.compile(r"(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\Z", re.I)
_UNITS = {"b": 1, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "kb": 1000, "mb": 1000**2,
          "gb": 1000**3}


def parse_size(text: str) -> int:
    m = _SIZE.match(text.strip())
    if not m:
        raise typer.BadParameter(f"'{text}' is not a size (e.g. 10MiB, 512KiB, 1000000)")
    return int(m.group(1)) * _UNITS[(m.group(2) or "b").lower()]


def limits(max_file_size: str):
    from ..source import Limits

    return Limits(max_file_size=parse_size(max_file_size))
