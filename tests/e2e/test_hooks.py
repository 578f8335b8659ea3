"""The pre-commit hooks of .pre-commit-hooks.yaml, run by the real pre-commit (`try-repo`) on a
temporary git repository: failing on a broken mlc.yaml or stale compiled output, passing on a
good one. pre-commit installs mlc from this checkout into its own environment, offline, from the
wheelhouse `make test` prepares."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

WHEELS = ROOT / ".cache" / "wheels"
PLAIN = ROOT / "tests" / "golden" / "argo" / "plain" / "mlc.yaml"

pytestmark = [
    # one worker runs both, so they share the pre-commit environment the first one builds
    pytest.mark.xdist_group("pre-commit"),
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
    pytest.mark.skipif(not (WHEELS / ".stamp").exists(),
                       reason="needs the wheelhouse of `make test` (offline installs)"),
    pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout of mlc"),
]


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(WHEELS), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def repo_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    for rel, data in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(data)
    git(repo, "add", ".")
    return repo


def try_repo(repo: Path, hook: str, env: dict) -> subprocess.CompletedProcess:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    return subprocess.run([str(pre_commit), "try-repo", str(ROOT), hook, "--all-files",
                           "--color", "never"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=900)


def test_validate_hook_passes_then_fails(tmp_path, env) -> None:
    files = {p.relative_to(EXAMPLES / "minimal").as_posix(): p.read_bytes()
             for p in (EXAMPLES / "minimal").rglob("*")
             if p.is_file() and ".mlc" not in p.parts and "expected" not in p.parts}
    repo = repo_with(tmp_path, files)
    good = try_repo(repo, "mlc-validate", env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "mlc validate" in good.stdout and "Passed" in good.stdout

    broken = (repo / "mlc.yaml").read_text().replace("gates:", "gatez:")
    (repo / "mlc.yaml").write_text(broken)
    git(repo, "add", ".")
    bad = try_repo(repo, "mlc-validate", env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "gatez:" in text)
    assert f"mlc.yaml:{line}:5: error[E101]: unknown key 'gatez'" in bad.stdout
    assert "did you mean 'gates'?" in bad.stdout


def test_compile_check_hook_passes_then_fails_on_stale_output(tmp_path, env) -> None:
    repo = repo_with(tmp_path, {"mlc.yaml": PLAIN.read_bytes()})
    compiled = subprocess.run([sys.executable, "-m", "mlc", "compile", "--target", "argo"],
                              cwd=repo, capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    git(repo, "add", ".")
    good = try_repo(repo, "mlc-compile-check", env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    spec = (repo / "mlc.yaml").read_text()
    assert "limit: 3" in spec
    (repo / "mlc.yaml").write_text(spec.replace("limit: 3", "limit: 2", 1))
    git(repo, "add", ".")
    stale = try_repo(repo, "mlc-compile-check", env)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "stale: build/argo/workflow.yaml" in stale.stdout
