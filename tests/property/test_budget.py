"""SPEC 10's node budgets over random fan-out shapes: phase 7 never raises, and its verdict
agrees with the plan: without E401, the Argo parent and every child Workflow fit the budget."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlc.api import validate
from mlc.targets import argo_plan, limit

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@st.composite
def fan_out(draw) -> str:
    """Steps with literal and param dimensions, grid sweeps and retries; a node budget."""
    params, steps = {}, []
    for i in range(draw(st.integers(1, 3))):
        dims = {}
        for d in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                params[f"p{i}{d}"] = draw(st.integers(1, 12000))
                dims[f"d{d}"] = f'"${{{{ params.p{i}{d} }}}}"'
            else:
                dims[f"d{d}"] = json.dumps([f"v{k}" for k in range(draw(st.integers(1, 30)))])
        refs = " ".join(f"${{{{ foreach.{d} }}}}" for d in dims)
        step = [f"  s{i}:", "    image: python:3.12-slim"]
        sweep = draw(st.booleans())
        cmd = f"run {refs}" + (" ${{ search_space.lr }} ${{ outputs.m }}" if sweep else "")
        step.append(f'    command: "{cmd}"')
        if dims:
            step.append("    foreach: {" + ", ".join(f"{k}: {v}" for k, v in dims.items()) + "}")
        if sweep:
            values = [round(0.1 * (k + 1), 1) for k in range(draw(st.integers(1, 12)))]
            step += ["    outputs: {m: {type: metrics}}", "    sweep:",
                     "      sampling_algorithm: grid",
                     f"      search_space: {{lr: {{type: choice, values: {values}}}}}",
                     "      objective: {primary_metric: auc, goal: maximize}"]
        retries = draw(st.integers(0, 3))
        if retries:
            step.append(f"    retries: {retries}")
        steps.append("\n".join(step))
    text = "apiVersion: mlc/v1\nproject: {name: fan, version: 1.0.0}\n"
    if params:
        text += "params:\n" + "".join(
            f"  {p}: {{type: list, default: [a], max_items: {n}}}\n" for p, n in params.items())
    text += "steps:\n" + "\n".join(steps) + "\n"
    budget = draw(st.sampled_from([100, 5000, 50000]))
    return text + f"targets:\n  argo: {{limits: {{max_nodes_per_workflow: {budget}}}}}\n"


@SETTINGS
@given(spec=fan_out())
def test_budgets_never_raise_and_agree_with_the_split(tmp_path, spec: str) -> None:
    path = tmp_path / "mlc.yaml"
    path.write_text(spec)
    result = validate(str(path), targets=["argo", "kubeflow", "stepfunctions"])
    assert all(d.line >= 1 for d in result.diagnostics)
    errors = {d.code for d in result.errors if d.target != "stepfunctions"}
    assert errors <= {"E401"}, [str(d) for d in result.errors]  # SFN: E104 (no settings)
    argo_errors = [d for d in result.errors if d.target == "argo"]
    cfg = result.configs.get(None)
    if cfg is None:
        return
    cache_errors = [d for d in argo_errors if "memoization entries" in d.message]
    argo_errors = [d for d in argo_errors if d not in cache_errors]
    budget = limit(cfg.doc, "argo", "max_nodes_per_workflow")
    plan = argo_plan(cfg, budget)
    fits = plan.parent_nodes <= budget and all(n <= budget for n in plan.children.values())
    assert fits == (not argo_errors), (plan, [str(d) for d in argo_errors])
    # every step here is cached (the default): one entry per item and trial
    entries = {e.step: (e.items or 1) * e.trials for e in plan.expansions.values()}
    over = {s for s, n in entries.items() if n > limit(cfg.doc, "argo", "max_cache_entries")}
    assert over == {d.path[1] for d in cache_errors}, (entries, [str(d) for d in cache_errors])
    for d in argo_errors:
        assert d.path[:1] == ("steps",) and d.notes, str(d)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=fan_out())
def test_what_compiles_is_valid_argo_split_or_not(tmp_path_factory, spec: str) -> None:
    """Random shapes, split per item, per outermost item or in chunks, or not at all: what
    compiles passes the strict schema of its Argo version and the structural checks (child
    entrypoints, semaphore keys, tags)."""
    from mlc.api import compile as compile_spec
    from tests.argo_checks import all_errors

    root = tmp_path_factory.mktemp("fan")
    spec = spec.replace("targets:\n  argo: {", 'targets:\n  argo: {artifact_store: "s3://b/p/", ')
    (root / "mlc.yaml").write_text(spec)
    result = compile_spec(str(root / "mlc.yaml"), target="argo", out=str(root / "out"))
    if result.ok:
        assert all_errors(root / "out" / "argo" / "workflow.yaml") == []
    else:
        assert {d.code for d in result.diagnostics if d.is_error} <= {"E401"}
