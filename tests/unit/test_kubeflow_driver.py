"""The POSIX shell drivers of Kubeflow containers (lower/kubeflow/syntax.py), run by a real
/bin/sh: values are exported as data, files and directories are made, the command runs."""

from __future__ import annotations

import subprocess

import pytest

from mlc.lower.kubeflow.syntax import DRIVER, SLIM_DRIVER, command


@pytest.mark.parametrize("driver", [DRIVER, SLIM_DRIVER])
def test_driver_exports_values_as_data(tmp_path, driver: str) -> None:
    hostile = "$(touch pwned); `touch pwned2`; \"'"
    args = ["--env", f"MLC_X={hostile}", "--dir", str(tmp_path / "out" / "model"),
            "--file", str(tmp_path / "cfg" / "config.json"), '{"a": 1}',
            "--", "/bin/sh", "-c", 'printf "%s" "$MLC_X"']
    done = subprocess.run(["/bin/sh", "-ec", driver, "driver", *args], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == hostile
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert (tmp_path / "out" / "model").is_dir()
    assert (tmp_path / "cfg" / "config.json").read_text() == '{"a": 1}'


def test_slim_driver_rejects_what_it_cannot_do(tmp_path) -> None:
    done = subprocess.run(["/bin/sh", "-ec", SLIM_DRIVER, "driver", "--copy", "a", "b", "--",
                           "true"], capture_output=True, text=True)
    assert done.returncode == 2 and "unknown driver argument --copy" in done.stderr


def test_the_full_driver_is_chosen_when_needed() -> None:
    assert command(["--env", "A=1", "--", "true"])[2] == SLIM_DRIVER
    assert command(["--copy", "a", "b", "--", "true"])[2] == DRIVER
    assert command(["--result", "r", "0", "m", "{}", "--", "true"])[2] == DRIVER
    # a command's own `--copy` argument does not count
    assert command(["--", "cp", "--copy"])[2] == SLIM_DRIVER
