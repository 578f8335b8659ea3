"""The decomposition the plan decides once for every target: units per item, item groups,
index outputs, child runs, typed payloads."""

from __future__ import annotations

from mlc.plan import DimSource, Mode, SlotKind, Unit, params_payload
from mlc.plan.settings import KubeSettings

IMAGE = "python:3.12-slim"


def test_container_unit_for_a_plain_step(plan) -> None:
    p = plan(f"steps:\n  a: {{image: {IMAGE}, command: echo hi}}\n")
    step = p.steps["a"]
    assert step.unit is Unit.CONTAINER and step.group is None and not step.keyed
    assert p.groups == {}


def test_keyed_unit_when_a_cached_step_reads_artifacts(plan) -> None:
    p = plan(f"""steps:
  a: {{image: {IMAGE}, command: "w ${{{{ outputs.d }}}}", outputs: {{d: {{type: dataset}}}}}}
  b: {{image: {IMAGE}, command: "r ${{{{ inputs.d }}}}", inputs: {{d: "${{{{ steps.a.outputs.d }}}}"}}}}
  c: {{image: {IMAGE}, command: "r ${{{{ inputs.d }}}}", inputs: {{d: "${{{{ steps.a.outputs.d }}}}"}}, cache: false}}
""")
    assert p.steps["a"].unit is Unit.CONTAINER
    assert p.steps["b"].unit is Unit.KEYED and p.steps["b"].keyed
    assert p.steps["c"].unit is Unit.CONTAINER
    art = p.steps["b"].artifacts[0]
    assert (art.producer, art.output, art.mode) == ("a", "d", Mode.SINGLE)


def test_sweep_and_evaluate_units_and_gate_check(plan) -> None:
    p = plan(f"""params:
  floor: {{type: number, default: 0.5}}
sources:
  data: {{type: local, path: data/, tables: {{test: {{path: t.csv, format: csv, holdout: true}}}}}}
steps:
  train:
    image: {IMAGE}
    command: "t ${{{{ search_space.lr }}}} ${{{{ outputs.model }}}} ${{{{ outputs.metrics }}}}"
    outputs: {{model: {{type: model}}, metrics: {{type: metrics}}}}
    sweep:
      sampling_algorithm: grid
      search_space: {{lr: {{type: choice, values: [0.1, 0.2]}}}}
      objective: {{primary_metric: auc, goal: maximize}}
  check:
    type: evaluate
    image: {IMAGE}
    command: e
    model: ${{{{ steps.train.outputs.model }}}}
    datasets: {{test: "${{{{ sources.data.test }}}}"}}
    metrics: [auc]
    gates: [{{metric: auc, dataset: test, min: "${{{{ params.floor }}}}"}}]
""", target="local")
    train, check = p.steps["train"], p.steps["check"]
    assert train.unit is Unit.SWEEP and train.trials == ({"lr": 0.1}, {"lr": 0.2})
    assert train.grid == (("lr", (0.1, 0.2)),)
    assert train.group == "train" and p.groups["train"].members == ("train",)
    assert check.unit is Unit.EVALUATE
    gate = check.gate_check.gates[0]
    assert gate.min.kind is SlotKind.PARAM_JSON and gate.min.name == "floor"
    assert check.gate_check.datasets == ("test",) and not check.gate_check.consumed_by_deploy


def test_steps_with_the_same_dimensions_share_one_item_group(plan) -> None:
    p = plan(f"""params:
  xs: {{type: list, default: [1, 2], max_items: 10}}
steps:
  a: {{image: {IMAGE}, command: "a ${{{{ foreach.x }}}}", foreach: {{x: "${{{{ params.xs }}}}"}}}}
  b: {{image: {IMAGE}, command: "b ${{{{ foreach.x }}}}", foreach: {{x: "${{{{ params.xs }}}}"}}, needs: [a]}}
  c: {{image: {IMAGE}, command: "c ${{{{ foreach.y }}}}", foreach: {{y: [u, v]}}}}
""")
    assert p.steps["a"].group == p.steps["b"].group == "a"
    assert p.groups["a"].members == ("a", "b")
    assert p.steps["c"].group == "c"
    dim = p.steps["a"].dims[0]
    assert dim.source is DimSource.PARAM and dim.param == "xs" and dim.bound == 10
    assert dim.payload() == {"name": "x", "bound": 10, "env": "MLC_LIST_X"}
    literal = p.steps["c"].dims[0]
    assert literal.payload() == {"name": "y", "bound": 2, "values": ["u", "v"]}


def test_fan_in_outputs_get_an_index_and_partitions_an_index_task(plan) -> None:
    p = plan(f"""sources:
  lake: {{type: s3, bucket: b, tables: {{t: {{path: t/}}}}}}
steps:
  features:
    type: features
    image: {IMAGE}
    command: f
    entities: ${{{{ sources.lake.t }}}}
    point_in_time: {{entity_key: id, label: y, label_horizon: 1d}}
    partition: {{by: country, max_partitions: 5}}
  report:
    image: {IMAGE}
    command: "r ${{{{ inputs.all }}}}"
    inputs: {{all: "${{{{ steps.features.outputs.dataset }}}}"}}
""")
    features = p.steps["features"]
    assert features.index_outputs == ("dataset",) and features.partition_index
    assert features.partition.by == "country" and features.split_outputs == ("dataset",)
    assert p.steps["report"].artifacts[0].mode is Mode.FANIN


def test_child_runs_are_plan_data(plan) -> None:
    p = plan(f"""params:
  xs: {{type: list, default: [a], max_items: 9000}}
steps:
  big: {{image: {IMAGE}, command: "b ${{{{ foreach.x }}}}", foreach: {{x: "${{{{ params.xs }}}}"}}}}
targets:
  argo: {{limits: {{max_nodes_per_workflow: 20000}}}}
""")
    assert not p.steps["big"].child_runs
    p = plan(f"""params:
  xs: {{type: list, default: [a], max_items: 900}}
  ys: {{type: list, default: [a], max_items: 20}}
steps:
  big: {{image: {IMAGE}, command: "b ${{{{ foreach.x }}}} ${{{{ foreach.y }}}}", foreach: {{x: "${{{{ params.xs }}}}", y: "${{{{ params.ys }}}}"}}}}
""")
    assert p.steps["big"].child_runs
    assert not plan(f"steps:\n  a: {{image: {IMAGE}, command: a}}\n", "local").steps["a"].child_runs


def test_params_and_schedule_are_typed(plan) -> None:
    p = plan("""params:
  day: {type: string, default: "d-${{ run.date }}"}
  n: {type: integer, default: 3, enum: [1, 3]}
schedule: {cron: "0 2 * * *", timezone: Europe/Berlin}
steps:
  a: {image: python:3.12-slim, command: "a ${{ params.day }} ${{ params.n }}"}
""")
    assert params_payload(p.params) == {
        "day": {"type": "string", "default_template": [["text", "d-"], ["run", "date"]]},
        "n": {"type": "integer", "enum": [1, 3], "default": 3}}
    assert (p.schedule.cron, p.schedule.timezone, p.schedule.concurrency) == \
        ("0 2 * * *", "Europe/Berlin", "forbid")


def test_settings_hold_limits_and_placement(settings) -> None:
    s = settings("""steps:
  a: {image: python:3.12-slim, command: a, resources: {gpu: 1, accelerator: nvidia-t4}}
targets:
  argo:
    namespace: ml
    accelerators: {nvidia-t4: {cloud.google.com/gke-accelerator: nvidia-tesla-t4, spot: true}}
    limits: {max_nodes_per_workflow: 123}
""")
    assert isinstance(s, KubeSettings)
    assert s.namespace == "ml" and s.max_nodes_per_workflow == 123
    assert s.max_definition_bytes == 1024 * 1024 and s.runtime_image == "python:3.12-slim"
    assert s.node_selector("nvidia-t4") == {"cloud.google.com/gke-accelerator":
                                            "nvidia-tesla-t4", "spot": "true"}
    assert s.node_selector(None) == {}


def test_the_rollout_spec_is_built_once_for_every_target() -> None:
    """churn's release: the rollout driver's spec (runtime/decide.py) comes from the plan,
    on Argo and locally; only the storage location is the target's."""
    import json
    from pathlib import Path

    from mlc.api import validate
    from mlc.plan.build import build_plan

    churn = Path(__file__).resolve().parents[3] / "examples" / "churn" / "mlc.yaml"
    result = validate(str(churn), profiles=["dev"], targets=["local"], phase7="selected")
    plan = build_plan(result.configs["dev"], result.graphs["dev"], "local")
    release = plan.deploys["release"]
    spec = release.rollout_spec("ns", {"team": "x"}, {})
    assert spec["endpoint"] == "churn-scorer-dev" and spec["route_by"] == "country"
    assert spec["canary"] == [{"kind": "set_weight", "weight": 100}]
    assert spec["metadata"] == {"namespace": "ns", "labels": {"team": "x"}}
    assert json.loads(spec["isvc"])["kind"] == "InferenceService" and "graph" in spec
    assert release.model.mode is Mode.FANIN
