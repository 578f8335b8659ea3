"""Shared fixtures: the repository root, a CLI runner, and inline-project helpers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

# A shell without job control starts a background command (`.ci/run &`) with SIGINT ignored,
# and an ignored signal stays ignored through exec: every `mlc run` the tests start would then
# ignore the Ctrl-C the interrupt tests send (Python installs its handler only when SIGINT is
# not ignored). A handler is reset to the default on exec, so the children get SIGINT back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m mlc` as a real process (exit codes and streams as users see them)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "mlc", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=600)


def write_project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """dbt-style inline project: {relative path: content} written under tmp_path."""
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path
