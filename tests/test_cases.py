"""Every file in tests/cases/invalid declares what it expects in `# expect: CODE LINE:COL`
headers (and optional `# args:`); the diagnostics produced must be exactly those."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from mlc.cli import app
from mlc.diagnostics import REGISTRY

CASES = sorted((Path(__file__).parent / "cases" / "invalid").glob("*.yaml"))
EXPECT = re.compile(rb"^# expect: ([EW]\d{3}) (\d+):(\d+)\s*$", re.M)
ARGS = re.compile(rb"^# args: (.*)$", re.M)
COMMAND = re.compile(rb"^# command: (\w+)$", re.M)
DIAG = re.compile(r"^[^:\n]+:(\d+):(\d+): (?:error|warning)\[([EW]\d{3})\]", re.M)


def header(path: Path) -> tuple[set[tuple[str, int, int]], list[str]]:
    data = path.read_bytes()
    expected = {(m[0].decode(), int(m[1]), int(m[2])) for m in EXPECT.findall(data)}
    args = ARGS.search(data)
    return expected, shlex.split(args.group(1).decode()) if args else []


def command(path: Path) -> str:
    found = COMMAND.search(path.read_bytes())
    return found.group(1).decode() if found else "validate"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case(case: Path, runner, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(case.parent)
    expected, args = header(case)
    assert expected, f"{case.name} has no '# expect:' header"
    if command(case) == "compile":  # text diagnostics on stderr; nothing may be written
        result = runner.invoke(app, ["compile", case.name, *args, "--out", str(tmp_path)])
        got = {(c, int(line), int(col)) for line, col, c in DIAG.findall(result.stderr)}
        assert list(tmp_path.iterdir()) == []
    else:
        result = runner.invoke(app, ["validate", case.name, *args, "--format", "json"])
        got = {(d["code"], d["line"], d["col"]) for d in json.loads(result.stdout)}
    assert result.exit_code in (0, 1), result.output
    assert got == expected
    errors = any(code.startswith("E") for code, _, _ in expected)
    assert result.exit_code == (1 if errors else 0)


def test_every_code_has_a_case() -> None:
    covered = {code for case in CASES for code, _, _ in header(case)[0]}
    missing = set(REGISTRY) - covered
    assert not missing, f"codes without a case in tests/cases/invalid: {sorted(missing)}"


def test_hostile_inputs_fail_with_e100() -> None:
    hostile = [c for c in CASES if c.name.startswith("E100-")]
    names = {c.stem for c in hostile}
    for kind in ("billion-laughs", "depth", "depth-alias", "recursive-alias", "tag",
                 "tag-directive", "merge-key", "two-documents", "invalid-utf8", "nul",
                 "too-large", "tab", "yaml11-directive"):
        assert f"E100-{kind}" in names
    for case in hostile:
        assert {code for code, _, _ in header(case)[0]} == {"E100"}
