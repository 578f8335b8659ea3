"""SPEC 5.1: the reference grammar, escapes and foreign template syntax."""

from __future__ import annotations

import re

import pytest

from mlc.spec import refgrammar
from mlc.spec.refgrammar import parse_template


def test_binding_and_interpolation() -> None:
    t, errors = parse_template("${{ params.lr }}")
    assert errors == [] and t.is_binding and t.refs[0].path == "params.lr"
    t, _ = parse_template("--lr ${{params.lr}} --x ${{  steps.a.outputs.b  }}")
    assert not t.is_binding and [r.path for r in t.refs] == ["params.lr", "steps.a.outputs.b"]
    assert t.pieces[0] == "--lr " and t.pieces[2] == " --x "


def test_offsets_point_at_each_name() -> None:
    t, _ = parse_template("x ${{ steps.feature.outputs.train }}")
    ref = t.refs[0]
    assert ref.start == 2
    assert ref.text[ref.offsets[1]:].startswith("feature")
    assert ref.text[ref.offsets[3]:].startswith("train")


def test_escape() -> None:
    t, errors = parse_template("echo $${{ not.a.ref }} ${{ run.id }}")
    assert errors == [] and t.literal.startswith("echo ${{ not.a.ref }} ")
    assert [r.path for r in t.refs] == ["run.id"]


@pytest.mark.parametrize("text,code,fragment", [
    ("${{ param.lr }}", "E201", "unknown context 'param'"),
    ("${{ params.Lr }}", "E201", "'Lr' is not a valid name"),
    ("${{ params }}", "E201", "a name is missing"),
    ("${{ params.lr ", "E201", "unterminated"),
    ("${{ }}", "E201", "empty reference"),
    ("${{ params.a | default(1) }}", "E201", "no expression language"),
    ("${{ params.a == 'x' }}", "E201", "no expression language"),
    ("${{ params." + "a" * 41 + " }}", "E201", "not a valid name"),
    ("${item}", "E200", "DVC syntax; write ${{ foreach.<dim> }}"),
    ("${item.country}", "E200", "write ${{ foreach.country }}"),
    ("${key}", "E200", "DVC"),
    ("${params.lr}", "E200", "write ${{ params.lr }}"),
    ("{{inputs.parameters.x}}", "E200", "Argo template syntax; write ${{ inputs.x }}"),
    ("{{workflow.name}}", "E200", "Argo"),
    ("{{item}}", "E200", "Argo"),
    ("{{ var }}", "E200", "Jinja syntax; write ${{ params.var }}"),
])
def test_errors(text: str, code: str, fragment: str) -> None:
    _, errors = parse_template(text)
    assert [e.code for e in errors] == [code]
    assert fragment in errors[0].message


@pytest.mark.parametrize("text", ["echo ${HOME}", "echo $HOME {a}", "x{y}z", "{", "}",
                                  "mlc:error_ratio:5m{endpoint=\"a\"}", "awk '{print $1}'"])
def test_shell_and_braces_are_not_references(text: str) -> None:
    t, errors = parse_template(text)
    assert errors == [] and t.refs == () and t.literal == text


@pytest.mark.parametrize("text", [
    "${{ steps.s0.outputs.data }}", "${{steps.a.outputs.b}}", "${{  params.x  }}",
    "${{ params.x }} ", "${{ foo.x }}", "${{ params.X }}", "${{ params." + "a" * 41 + " }}",
    "${{ params }}", "${{ params.a.b.c }}", "$${{ params.x }}", "${{ run.id }}",
    "${{ params.1a }}", "x${{ params.a }}"])
def test_binding_fast_path_parses_as_the_general_path(monkeypatch, text: str) -> None:
    """A whole-string binding takes a regex fast path; it must split exactly as the general
    parser does, and leave everything else to it."""
    fast = refgrammar._parse(text)
    monkeypatch.setattr(refgrammar, "_BINDING", re.compile(r"(?!)"))
    assert refgrammar._parse(text) == fast
