"""CI formats: GitHub workflow commands (escaping) and SARIF 2.1.0 (the OASIS schema)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from mlc.api import validate
from mlc.cli import app
from mlc.diagnostics import REGISTRY
from mlc.diagnostics.ci import escape_data, escape_property, render_github, render_sarif
from mlc.diagnostics.model import Diagnostic, Note
from tests.conftest import ROOT, run_cli, write_project
from tests.test_cases import command, header

SARIF_SCHEMA = json.loads((ROOT / "tests/upstream/sarif/sarif-schema-2.1.0.json").read_text())
CASES = sorted((ROOT / "tests/cases/invalid").glob("*.yaml"))
NASTY = "100% sure: a, b\r\nnext line"


def unescape(text: str) -> str:
    """What the GitHub runner does with a workflow command (toolkit's command.ts, reversed)."""
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    match = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
    assert match, line
    props = dict(p.split("=", 1) for p in match.group(2).split(","))
    return match.group(1), {k: unescape(v) for k, v in props.items()}, unescape(match.group(3))


def test_escaping_matches_the_toolkit() -> None:
    assert escape_data(NASTY) == "100%25 sure: a, b%0D%0Anext line"
    assert escape_property(NASTY) == "100%25 sure%3A a%2C b%0D%0Anext line"
    # Order matters: `%` first, so an escape is never escaped twice.
    assert escape_property("%3A") == "%253A"


def test_github_round_trips_nasty_paths_and_messages() -> None:
    d = Diagnostic("E101", NASTY, "dir,with:odd%chars/mlc.yaml", 3, 7, hint="try: x, y",
                   notes=(Note("defined here", "other.yaml", 1, 2),))
    out = render_github([d])
    assert out.count("\n") == 1 and out.endswith("\n")  # one command per diagnostic
    kind, props, message = parse_command(out.rstrip("\n"))
    assert kind == "error"
    assert props == {"file": "dir,with:odd%chars/mlc.yaml", "line": "3", "col": "7",
                     "title": "E101"}
    assert message.splitlines()[0].endswith(NASTY.splitlines()[0])
    assert "help: try: x, y" in message and "note: other.yaml:1:2: defined here" in message


def test_github_warning_level() -> None:
    d = Diagnostic("W302", "unused param 'x'", "mlc.yaml", 1, 1)
    assert render_github([d]).startswith("::warning file=mlc.yaml,line=1,col=1,title=W302::")


def test_validate_format_github_end_to_end(tmp_path) -> None:
    folder = "we%ird, dir:x"
    write_project(tmp_path, {f"{folder}/mlc.yaml": "apiVersion: mlc/v1\nproject: {name: t, version: 1.0.0}\n"
                             "steps:\n  a:\n    image: i:1\n    comand: echo\n"})
    done = run_cli("validate", f"{folder}/mlc.yaml", "--format", "github", cwd=tmp_path)
    assert done.returncode == 1
    commands = [parse_command(line) for line in done.stdout.splitlines()]
    assert commands, done.stdout
    for kind, props, message in commands:
        assert props["file"] == f"{folder}/mlc.yaml" and kind in ("error", "warning")
        assert props["title"] in REGISTRY and message
    assert any("comand" in m for _, _, m in commands)


VALIDATE_CASES = [c for c in CASES if command(c) == "validate"]
VALIDATOR = jsonschema.Draft4Validator(SARIF_SCHEMA)


@pytest.mark.parametrize("case", VALIDATE_CASES, ids=lambda p: p.stem)
def test_sarif_is_valid_against_the_oasis_schema(case: Path, runner, monkeypatch) -> None:
    """Every invalid case, as `mlc validate --format sarif` prints it, is a valid SARIF log
    whose results are exactly the case's expected diagnostics."""
    monkeypatch.chdir(case.parent)
    expected, args = header(case)
    done = runner.invoke(app, ["validate", case.name, *args, "--format", "sarif"])
    log = json.loads(done.stdout)
    VALIDATOR.validate(log)
    got = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"])
           for r in log["runs"][0]["results"]}
    assert got == expected


def walk(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield path + (k,), k
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))
    else:
        yield path, node


def test_sarif_rules_timestamps_and_determinism() -> None:
    case = CASES[0]
    text = render_sarif(validate(str(case)).diagnostics)
    assert text == render_sarif(validate(str(case)).diagnostics)
    log = json.loads(text)
    for where, value in walk(log):  # no startTimeUtc & co., no ISO date anywhere
        assert not (isinstance(value, str) and re.search(r"(?i)timeutc|\d{4}-\d\d-\d\dT\d",
                                                         value)), where
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(REGISTRY)
    for rule in rules:
        entry = REGISTRY[rule["id"]]
        assert rule["name"] == entry.name
        assert rule["help"]["text"] == entry.explain()
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_uri_is_percent_encoded(tmp_path) -> None:
    d = Diagnostic("E101", "m", "my dir/50%/mlc.yaml", 2, 3)
    log = json.loads(render_sarif([d]))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "my%20dir/50%25/mlc.yaml"
    assert unquote(location["artifactLocation"]["uri"]) == "my dir/50%/mlc.yaml"
    assert location["region"] == {"startLine": 2, "startColumn": 3}


def test_valid_file_gives_an_empty_sarif_run() -> None:
    done = run_cli("validate", str(ROOT / "examples/minimal/mlc.yaml"), "--format", "sarif")
    assert done.returncode == 0
    log = json.loads(done.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert log["runs"][0]["results"] == []


def test_sarif_names_the_home_from_the_package_metadata() -> None:
    from mlc.diagnostics import Diagnostic
    from mlc.meta import project_urls

    log = json.loads(render_sarif([Diagnostic("E101", "unknown key", "mlc.yaml", 1, 1)]))
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == project_urls()["Diagnostics"]
    assert driver["rules"][0]["helpUri"] == project_urls()["Diagnostics"] + "#e100"


def test_the_home_is_written_in_one_place() -> None:
    """[project.urls] of pyproject.toml: nothing else in the repository names the home, so
    nothing mlc generates depends on it."""
    import subprocess

    from mlc.meta import project_urls

    home = project_urls()["Repository"].split("://", 1)[1]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("needs a git checkout")
    found = []
    for rel in tracked.stdout.splitlines():
        path = ROOT / rel
        if path.is_file() and path.stat().st_size < 2_000_000:
            try:
                if home in path.read_text(encoding="utf-8"):
                    found.append(rel)
            except UnicodeDecodeError:
                continue
    assert found == ["pyproject.toml"]
