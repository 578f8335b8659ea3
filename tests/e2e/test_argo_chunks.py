"""Fan-outs of any size on Argo (SPEC 10, issue 16): a step whose items would leave the parent
Workflow over its node budget runs as child Workflows, one per contiguous chunk of items.

The runtime scripts are run here as Argo runs them: each template's own embedded source, with
its environment after substitution of its input parameters, the chunk file as the child's input
artifact. `mlc run` must see the same items and the same fan-in."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from mlc.api import validate
from mlc.targets import argo_plan
from tests.argo_checks import all_errors, run_script, substituted
from tests.conftest import run_cli, write_project

GOLDEN = Path(__file__).parents[1] / "golden" / "argo" / "shards" / "mlc.yaml"


def spec_text(max_items: int = 100000, *, budget: int | None = None, shards: int = 2,
              extra_dim: str = "") -> str:
    text = GOLDEN.read_text()
    text = text.replace("max_items: 100000", f"max_items: {max_items}")
    if shards != 2:
        names = json.dumps([f"shard-{i:05d}" for i in range(shards)])
        text = text.replace("default: [shard-00000, shard-00001]", f"default: {names}")
    if extra_dim:
        text = text.replace('foreach: {shard: "${{ params.shards }}"}',
                            'foreach: {' + extra_dim + ', shard: "${{ params.shards }}"}')
    if budget is not None:
        text = text.replace('argo: {artifact_store: "s3://bucket/reembed/", version: "4.1"}',
                            'argo: {artifact_store: "s3://bucket/reembed/", version: "4.1", '
                            f'limits: {{max_nodes_per_workflow: {budget}}}}}')
    return text


def compile_argo(root: Path, text: str) -> dict:
    write_project(root, {"mlc.yaml": text})
    done = run_cli("compile", "mlc.yaml", "--target", "argo", "--out", "build", cwd=root)
    assert done.returncode == 0, done.stderr
    path = root / "build" / "argo" / "workflow.yaml"
    assert all_errors(path) == []
    return {t["name"]: t for t in next(yaml.safe_load_all(path.read_text()))["spec"]["templates"]}


def argo_items(root: Path, templates: dict, shards: list[str]) -> tuple[list[list[str]], list]:
    """The items task, then each child's chunk reader: the chunks' item keys, and index.json."""
    items_out = root / "argo" / "items"
    run_script(templates["embed--items"], {"pj-shards": json.dumps(shards), "run-id": "r"},
               items_out)
    names = json.loads((items_out / "chunks-embed").read_text())
    chunks = []
    for name in names:
        child = root / "argo" / f"child-{name}"
        chunk_file = items_out / "mlc-chunks" / "embed" / f"{name}.json"
        run_script(templates["embed--chunk-items"], {"chunk": name, "run-id": "r"}, child,
                   MLC_CHUNK_IN=str(chunk_file))
        chunks.append([e["key"] for e in json.loads((child / "items").read_text())])
    index = json.loads((items_out / "embed" / "vectors" / "index.json").read_text())
    return chunks, index


def test_the_100000_shard_pipeline_splits_into_81_chunks() -> None:
    cfg = validate(str(GOLDEN), targets=["argo"]).configs[None]
    plan = argo_plan(cfg, 5000)
    split = plan.splits["embed"]
    # 6 nodes per shard: 1 + 3 retries, and the cached step's item DAG and relink task;
    # a child holds (5000 - 3) // 6 = 832 of them
    assert (split.per, split.size, split.children) == ("chunk", 832, 121)
    assert split.child_nodes == 832 * 6 + 3 <= 5000
    assert plan.parent_nodes <= 5000


@pytest.mark.parametrize("max_items", [1000, 100000, 1000000])
def test_workflow_size_does_not_depend_on_max_items(tmp_path, max_items: int) -> None:
    text = spec_text(max_items)
    if max_items > 230400:  # more memoization entries than the cache holds (E401)
        text = text.replace("    max_parallel: 200\n", "    max_parallel: 200\n    cache: false\n")
    templates = compile_argo(tmp_path, text)
    size = (tmp_path / "build" / "argo" / "workflow.yaml").stat().st_size
    assert size < 64 * 1024
    # whatever the bound, the parent loops over chunks or items, never over a list it embeds
    launch = next(t for name, t in templates.items() if name == "main")["dag"]["tasks"]
    assert all(len(json.dumps(t)) < 2000 for t in launch)


def test_items_reach_children_as_artifacts_and_retries_stay_per_item(tmp_path) -> None:
    templates = compile_argo(tmp_path, GOLDEN.read_text())
    items_task = templates["embed--items"]
    declared = {p["name"] for p in items_task["outputs"]["parameters"]}
    assert declared == {"chunks-embed"}  # no 100,000-item parameter in the parent's status
    # the list reaches the items task as a file: Linux caps one environment string at 128 KiB
    assert not any("{{" in e["value"] for e in items_task["script"]["env"])
    chunk_art = next(a for a in items_task["outputs"]["artifacts"] if a["name"] == "chunks-embed")
    reader = templates["embed--chunk-items"]
    (art,) = reader["inputs"]["artifacts"]
    assert art["s3"]["key"] == chunk_art["s3"]["key"] + "/{{inputs.parameters.chunk}}.json"
    launch = templates["embed--launch"]["resource"]["manifest"]
    assert "item" not in {p["name"] for p in templates["embed--launch"]["inputs"]["parameters"]}
    assert '"entrypoint":"embed--chunk"' in launch
    # a run's children are found by their parent's name (argo stop -l mlc.dev/parent=<run>)
    assert '"mlc.dev/parent":"{{workflow.name}}"' in launch
    assert templates["embed"]["retryStrategy"]["limit"] == "3"
    for name in ("embed--launch", "embed--chunk", "embed--chunk-items", "embed--items"):
        assert "retryStrategy" not in templates[name], name
    # max_parallel holds across all children: one semaphore of the run, not per child, held
    # by the item's unit (its DAG: run, then relink after a cache hit)
    assert templates["embed--item"]["synchronization"]["semaphores"][0]["configMapKeyRef"] == {
        "name": "{{inputs.parameters.mlc-limits}}", "key": "embed"}
    limits = json.loads(templates["mlc--limits"]["resource"]["manifest"].replace(
        "{{workflow.name}}", "wf"))
    assert limits["metadata"]["name"] == "wf-limits" and limits["data"] == {"embed": "200"}
    assert "parallelism" not in launch


def test_runtime_scripts_cut_and_index_10000_shards_as_argo_would(tmp_path) -> None:
    templates = compile_argo(tmp_path, GOLDEN.read_text())
    shards = [f"shard-{i:05d}" for i in range(10000)]
    chunks, index = argo_items(tmp_path, templates, shards)
    # as few chunks of at most 832 as hold 10,000: 13, of 770 or 769 items, in item order
    assert len(chunks) == 13
    assert {len(c) for c in chunks} == {770, 769}
    assert [k for c in chunks for k in c] == [f"shard={s}" for s in shards]
    assert [e["path"] for e in index] == [f"shard={s}" for s in shards]


def test_one_child_per_outermost_item_while_it_fits(tmp_path) -> None:
    text = spec_text(700, extra_dim="region: [eu, us, ap]")
    templates = compile_argo(tmp_path, text)
    env = {e["name"]: e["value"] for e in templates["embed--items"]["script"]["env"]}
    assert json.loads(env["MLC_CHUNKS"]) == {"embed": {"per": "outer", "size": 700}}
    # at run time the lists are shorter than their bounds: a chunk is still one region
    chunks, _ = argo_items(tmp_path, templates, [f"s{i}" for i in range(5)])
    assert chunks == [[f"region={r}/shard=s{i}" for i in range(5)] for r in ("eu", "us", "ap")]


def test_mlc_run_sees_the_same_items_and_fan_in(tmp_path) -> None:
    shards = [f"shard-{i:05d}" for i in range(1000)]
    text = spec_text(1000, budget=300, shards=1000)
    text = text.replace("python embed.py --shard ${{ foreach.shard }} --out ${{ outputs.vectors }}",
                        '"mkdir -p ${{ outputs.vectors }}"')
    text = text.replace("python build_index.py --vectors ${{ inputs.vectors }} --out "
                        "${{ outputs.index }}",
                        '"mkdir -p ${{ outputs.index }} && cp ${{ inputs.vectors }}/index.json '
                        '${{ outputs.index }}/"')
    templates = compile_argo(tmp_path, text)
    chunks, index = argo_items(tmp_path, templates, shards)
    assert len(chunks) == 21 and max(len(c) for c in chunks) <= (300 - 3) // 6
    done = run_cli("run", "mlc.yaml", "--run-id", "r", "--no-cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    local = json.loads((tmp_path / ".mlc" / "runs" / "r" / "steps" / "build_index" / "outputs"
                        / "index" / "index.json").read_text())
    assert local == index
    assert [e["path"] for e in local] == [k for c in chunks for k in c]
    items_dirs = sorted(p.name for p in (tmp_path / ".mlc" / "runs" / "r" / "steps" / "embed")
                        .iterdir() if p.name.startswith("shard="))
    assert items_dirs == sorted(f"shard={s}" for s in shards)


def test_e401_names_the_step_and_the_chunk_arithmetic(tmp_path) -> None:
    write_project(tmp_path, {"mlc.yaml": spec_text(100000, budget=100)})
    done = run_cli("validate", "mlc.yaml", "--target", "argo", cwd=tmp_path)
    assert done.returncode == 1
    line = next(i for i, t in enumerate(spec_text().splitlines(), 1) if t == "  embed:")
    assert f"mlc.yaml:{line}:3: error[E401]" in done.stdout + done.stderr
    out = done.stdout + done.stderr
    assert "steps.embed runs as 6250 child Workflows (chunks of up to 16 items)" in out
    assert "100000 (params.shards.max_items" in out
    assert "items / 16 per child = 6250 launchers + 1; 16 per child = (100 - 3) // 6 nodes " \
        "per item" in out
    assert "build_index" not in out


def test_e401_when_one_item_alone_is_over_the_budget(tmp_path) -> None:
    text = spec_text(100000, budget=6).replace("retries: 3", "retries: 9")
    write_project(tmp_path, {"mlc.yaml": text})
    done = run_cli("validate", "mlc.yaml", "--target", "argo", cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1
    assert out.count("error[E401]") == 1
    assert "steps.embed expands to 14 nodes in each child Workflow, with 1 item per child; " \
        "limit 6" in out
    assert "1 item x 1 trial x 10 attempts + 1 x 2 (cache relink) + 1 (the item) + " \
        "1 (the workflow)" in out


def test_memoization_entries_are_spread_and_bounded(tmp_path) -> None:
    """Issue 17, item 2: a step's cache entries go to 256 ConfigMaps (the key's first two hex
    digits), they expire after 30 days without cache.max_age, and a run that would write more
    entries than those hold is E401 at the step."""
    templates = compile_argo(tmp_path, GOLDEN.read_text())
    memo = templates["embed"]["memoize"]
    assert memo["maxAge"] == f"{30 * 86400}s"
    name = memo["cache"]["configMap"]["name"]
    assert name.startswith("mlc-cache-reembed-embed-{{=sprig.substr(0, 2, sprig.sha256sum(")
    assert name.endswith("))}}")
    # the shard is the first two characters of the very key the entry is stored under
    assert name[len("mlc-cache-reembed-embed-{{=sprig.substr(0, 2, "):-3] == memo["key"][3:-2]
    write_project(tmp_path, {"mlc.yaml": spec_text(1000000)})
    done = run_cli("validate", "mlc.yaml", "--target", "argo", cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1
    assert "error[E401]: [target argo] steps.embed writes up to 1000000 memoization entries " \
        "in one run; limit 230400" in out
    assert "1000000 (params.shards.max_items" in out and "x 1 trial, one cache entry each" in out


def test_children_get_the_trials_from_the_manifest_not_the_launchers(tmp_path) -> None:
    """Issue 17, item 4: a split sweep's trials are known at compile time; the launch manifest
    holds them, so no launcher node keeps them in the parent's status, and they are the very
    entries the items task computes at run time."""
    spec = Path(__file__).parents[1] / "golden" / "argo" / "split" / "mlc.yaml"
    templates = compile_argo(tmp_path, spec.read_text())
    launch = templates["train--launch"]
    assert "trials" not in {p["name"] for p in launch["inputs"]["parameters"]}
    main = {t["name"]: t for t in templates["main"]["dag"]["tasks"]}
    assert "trials" not in {p["name"] for p in main["train"]["arguments"]["parameters"]}
    manifest = json.loads(substituted(launch["resource"]["manifest"]))
    given = {p["name"]: p["value"] for p in manifest["spec"]["arguments"]["parameters"]}
    # what an items task computes for the same sweep (runtime/items.py, as unsplit)
    items_env = {e["name"]: e["value"] for e in templates["train--items"]["script"]["env"]}
    assert "MLC_SWEEPS" not in items_env  # the children's trials are not computed at run time
    template = {"script": {"source": templates["train--items"]["script"]["source"], "env": [
        {"name": "MLC_SWEEPS", "value": '{"train":{"grid":[["lr",[0.1,0.2,0.3]]]}}'}]}}
    run_script(template, {}, tmp_path / "items")
    computed = json.loads((tmp_path / "items" / "trials-train").read_text())
    # the manifest keeps the fields that are read: the trial task's `{{item.X}}` and
    # mlc--select's `index` and `json` (runtime/select.py); not the JSON text of values
    # no container takes (j_lr here)
    trial = next(t for t in templates["train--item"]["dag"]["tasks"] if t["name"] == "trial")
    read = set(re.findall(r"\{\{item\.(\w+)\}\}", json.dumps(trial["arguments"])))
    assert "v_lr" in read and "j_lr" not in read
    fields = read | {"index", "json"}
    assert json.loads(given["trials"]) == [{k: v for k, v in e.items() if k in fields}
                                           for e in computed]
    assert all(fields <= set(e) for e in json.loads(given["trials"]))
    assert len(json.loads(given["trials"])) == 3
