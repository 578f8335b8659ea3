"""Whatever the input, mlc answers with diagnostics: never an exception, never a traceback."""

from __future__ import annotations

import copy
import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlc.api import validate
from mlc.diagnostics import REGISTRY
from mlc.source import load_path, to_plain
from tests.conftest import EXAMPLES

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
TEXTS = {name: (EXAMPLES / name / "mlc.yaml").read_text(encoding="utf-8")
         for name in ("minimal", "churn")}
TREES = {name: to_plain(load_path(EXAMPLES / name / "mlc.yaml").source.root) for name in TEXTS}


def check(tmp_path, data: bytes) -> None:
    path = tmp_path / "mlc.yaml"
    path.write_bytes(data)
    result = validate(str(path), targets=["argo", "kubeflow", "stepfunctions", "local"])
    for d in result.diagnostics:
        assert d.code in REGISTRY
        assert d.line >= 1 and d.col >= 1 and d.file == str(path)
        assert "\n" not in d.code


scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                    st.sampled_from(["${{ params.x }}", "${{ steps.train.outputs.model }}",
                                     "${item}", "{{ x }}", "NO", "1h", "16GB", "<<", "*a"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=25)


@SETTINGS
@given(doc=values)
def test_random_yaml_documents(tmp_path, doc) -> None:
    check(tmp_path, yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"))


@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes(tmp_path, data: bytes) -> None:
    check(tmp_path, data)


@st.composite
def text_mutation(draw):
    name = draw(st.sampled_from(sorted(TEXTS)))
    lines = TEXTS[name].split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "char", "insert", "indent", "swap"]))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "char" and lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            ch = draw(st.sampled_from(list(":{}[],'\"&*!|>-#%@`$\t ") + ["x", "\u00e9"]))
            lines[i] = lines[i][:j] + ch + lines[i][j + 1:]
        elif kind == "insert":
            lines.insert(i, draw(st.text(max_size=40)))
        elif kind == "indent":
            lines[i] = " " * draw(st.integers(0, 8)) + lines[i].lstrip()
        else:
            k = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[k] = lines[k], lines[i]
        if not lines:
            lines = [""]
    return "\n".join(lines)


@SETTINGS
@given(text=text_mutation())
def test_text_mutations_of_the_examples(tmp_path, text: str) -> None:
    check(tmp_path, text.encode("utf-8", "surrogatepass"))


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


@st.composite
def tree_mutation(draw):
    name = draw(st.sampled_from(sorted(TREES)))
    tree = copy.deepcopy(TREES[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(tree) if p]
        path = draw(st.sampled_from(paths))
        parent = tree
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(values)
    return tree


@SETTINGS
@given(tree=tree_mutation())
def test_structural_mutations_of_the_examples(tmp_path, tree) -> None:
    check(tmp_path, json.dumps(tree).encode("utf-8"))


@SETTINGS
@given(tree=tree_mutation())
def test_diff_against_a_mutation_never_raises(tmp_path, tree) -> None:
    """`mlc diff` of an example and a mutation of it: diagnostics, or a diff that renders."""
    from mlc.api import diff
    from mlc.diff.render import RENDERERS

    name = "churn" if "profiles" in tree else "minimal"  # most often its own origin
    head = tmp_path / "head.yaml"
    head.write_text(json.dumps(tree), encoding="utf-8")
    diags, result = diff(str(EXAMPLES / name / "mlc.yaml"), str(head))
    if result is None:
        assert any(d.is_error for d in diags)
        return
    for render in RENDERERS.values():
        assert render(result).endswith("\n")


@SETTINGS
@given(tree=tree_mutation())
def test_graph_and_compile_of_a_mutation_never_raise(tmp_path, tree) -> None:
    """Whatever validates renders as a graph and compiles for every target that compiles:
    diagnostics or files, never an exception."""
    from mlc.api import compile as compile_spec
    from mlc.graph.render import to_dot, to_mermaid
    from mlc.spec.registry import REGISTRY as TARGETS

    path = tmp_path / "mlc.yaml"
    path.write_text(json.dumps(tree), encoding="utf-8")
    result = validate(str(path), phase7="none")
    if not result.ok:
        return
    for graph in result.graphs.values():
        assert to_mermaid(graph).endswith("\n") and to_dot(graph, "t").endswith("\n")
    for target, info in TARGETS.items():
        if info.lowering is None:
            continue
        for profile in [None] + list(result.profiles):
            done = compile_spec(str(path), target=target, profile=profile,
                                out=str(tmp_path / "out"), mode="check")
            assert done.ok or any(d.is_error for d in done.diagnostics)
            assert all(d.code in REGISTRY for d in done.diagnostics)
