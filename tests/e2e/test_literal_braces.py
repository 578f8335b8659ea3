"""`{{` that names nothing of mlc's is literal text (SPEC 5.1): it validates, and it reaches the
process unchanged, locally and on Argo, whose templating would otherwise read it."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from mlc.api import validate
from tests.argo_checks import all_errors, load
from tests.conftest import run_cli, write_project

SPEC = """apiVersion: mlc/v1
project: {name: lit, version: 1.0.0}
params:
  fmt: {type: string, default: "{{.Id}} and {{ shout }}"}
  lr: {type: number, default: 0.1}
steps:
  sh:
    image: python:3.12-slim
    command: "printf '%s|' '{{.Id}}' \\"a{{b\\" c{{d; echo '{{' ; echo '}}'; echo ${{ params.fmt }} ${{ params.lr }}"
    env: {GO_TEMPLATE: "{{ .Values.x }}{{{"}
  exec:
    image: python:3.12-slim
    command: ["printf", "%s|", "{{.Id}}", "{{", "{{ other }}"]
targets:
  argo: {artifact_store: "s3://b/p/"}
"""
SHELL_OUT = "{{.Id}}|a{{b|c{{d|{{\n}}\n{{.Id}} and {{ shout }} 0.1\n"


@pytest.mark.parametrize("text,flagged", [
    ("{{ lr }}", True), ("{{lr}}", True), ("{{ item.x }}", True), ("{{workflow.name}}", True),
    ("{{inputs.parameters.lr}}", True), ("{{tasks.a.outputs.parameters.b}}", True),
    ("{{ other }}", False), ("{{.Id}}", False), ("{{ .Values.x }}", False), ("{{", False),
])
def test_only_names_of_the_file_are_e200(tmp_path, text: str, flagged: bool) -> None:
    path = tmp_path / "mlc.yaml"
    path.write_text(SPEC.replace('"{{ other }}"', json.dumps("x " + text)))
    codes = [d.code for d in validate(str(path)).errors]
    assert codes == (["E200"] if flagged else []), codes


def argo_passes(text: str, inputs: dict[str, str]) -> str:
    """What Argo's controller makes of a template string (workflow/common ProcessArgs): pass 1
    evaluates expression tags (here, string literals) and leaves unknown tags as they are;
    pass 2 substitutes `inputs.parameters.*` and leaves the rest. Neither rescans its output."""
    def one_pass(s: str, replace) -> str:
        out, i = [], 0
        while True:
            start = s.find("{{", i)
            end = s.find("}}", start + 2) if start >= 0 else -1
            if start < 0 or end < 0:
                return "".join(out) + s[i:]
            out.append(s[i:start])
            body = s[start + 2:end]
            out.append(replace(body) if replace(body) is not None else "{{" + body + "}}")
            i = end + 2

    def expression(body: str):
        m = re.fullmatch(r"='([^']*)'", body)
        return m[1] if m else None

    def parameter(body: str):
        name = body.strip().removeprefix("inputs.parameters.")
        return inputs.get(name) if body.strip().startswith("inputs.parameters.") else None

    return one_pass(one_pass(text, expression), parameter)


def test_argo_delivers_the_text_unchanged(tmp_path) -> None:
    write_project(tmp_path, {"mlc.yaml": SPEC})
    done = run_cli("compile", "mlc.yaml", "--target", "argo", "--out", "build", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "build" / "argo" / "workflow.yaml"
    assert all_errors(out) == []  # strict schema, tags that resolve, JSON that stays JSON
    templates = {t["name"]: t for t in load(out)[0]["spec"]["templates"]}
    inputs = {"run-id": "r", "p-fmt": "{{.Id}} and {{ shout }}", "p-lr": "0.1"}
    sh = templates["sh"]["container"]
    env = {e["name"]: argo_passes(e["value"], inputs) for e in sh["env"]}
    assert env["GO_TEMPLATE"] == "{{ .Values.x }}{{{"
    args = argo_passes(sh["args"][0], inputs)
    ran = subprocess.run(["/bin/sh", "-c", args], env={"MLC_PARAM_FMT": env["MLC_PARAM_FMT"],
                                                        "MLC_PARAM_LR": env["MLC_PARAM_LR"]},
                         capture_output=True, text=True)
    assert ran.stdout == SHELL_OUT
    argv = [argo_passes(a, inputs) for a in templates["exec"]["container"]["command"]]
    assert argv == ["printf", "%s|", "{{.Id}}", "{{", "{{ other }}"]
    params = next(e["value"] for e in templates["mlc-run"]["script"]["env"]
                  if e["name"] == "MLC_PARAMS")
    assert "{{" not in params
    assert json.loads(params)["fmt"]["default"] == "{{.Id}} and {{ shout }}"


def test_a_local_run_delivers_the_text_unchanged(tmp_path) -> None:
    write_project(tmp_path, {"mlc.yaml": SPEC})
    done = run_cli("run", "mlc.yaml", "--run-id", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    steps = tmp_path / ".mlc" / "runs" / "r" / "steps"
    assert (steps / "sh" / "stdout.log").read_text() == SHELL_OUT
    assert (steps / "exec" / "stdout.log").read_text() == "{{.Id}}|{{|{{ other }}|"
