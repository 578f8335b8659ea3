"""mlc's models are built without pydantic's plugins, and the process keeps its setting."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SPEC = "apiVersion: mlc/v1\nproject: {name: p, version: 1.0.0}\nsteps:\n  a: {image: busybox, command: [\"true\"]}\n"


def _fresh(code: str, tmp_path, **env: str) -> str:
    (tmp_path / "mlc.yaml").write_text(SPEC)
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    environ.update(env)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path,
                          env=environ, capture_output=True, text=True, check=True)
    return done.stdout.strip()


CODE = """
    import os
    import mlc.api
    import pydantic.plugin._loader as loader
    assert mlc.api.validate("mlc.yaml").ok
    print(loader._plugins, os.environ.get("PYDANTIC_DISABLE_PLUGINS", "unset"))
"""


def test_validation_does_not_look_for_plugins_and_leaves_the_variable_unset(tmp_path):
    # None: the entry points were never read (a search leaves a dict, even an empty one)
    assert _fresh(CODE, tmp_path) == "None unset"


def test_a_users_setting_is_kept(tmp_path):
    assert _fresh(CODE, tmp_path, PYDANTIC_DISABLE_PLUGINS="logfire") == "None logfire"
