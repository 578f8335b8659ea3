"""A fan-out task carries its item, not the whole list (SPEC 6.2, 6.7; issue 15): its
config.json and environment are the same size whatever the length of the list, on `mlc run`
and on Argo, and adding an item to the list re-runs only that item."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml

from tests.conftest import run_cli, write_project

HEAD = "apiVersion: mlc/v1\nproject: {name: fan, version: 1.0.0}\n"


def fan_spec(items: list[str], command: str = '["env"]', extra: str = "",
             max_items: int = 100000) -> str:
    return HEAD + f"""params:
  items: {{type: list, default: {json.dumps(items)}, max_items: {max_items}}}
steps:
  s:
    image: busybox:1.36
    command: {command}
    foreach: {{i: "${{{{ params.items }}}}"}}
{extra}"""


def items(n: int) -> list[str]:
    return [f"{i:05d}" for i in range(n)]


def fast_dir():
    """tmpfs where the machine has it: 5,000 task folders cost seconds on a disk."""
    return tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None)


def test_config_and_environment_do_not_grow_with_the_list() -> None:
    seen = {}
    for n in (10, 5000):
        with fast_dir() as tmp:
            root = Path(tmp)
            write_project(root, {"mlc.yaml": fan_spec(items(n))})
            done = run_cli("run", "mlc.yaml", "--run-id", "r", "--no-cache", cwd=root)
            assert done.returncode == 0, done.stderr
            task = root / ".mlc" / "runs" / "r" / "steps" / "s" / "i=00007"
            config = (task / "config.json").read_text()
            env = [line for line in (task / "stdout.log").read_text().splitlines()
                   if line.startswith("MLC_")]
            seen[n] = (config, sorted(env))
            assert json.loads(config)["params"] == {}
            assert json.loads(config)["item"] == {"i": "00007"}
            assert not any(line.startswith("MLC_PARAM_") for line in env)
            assert "MLC_FOREACH_I=00007" in env
    (config10, env10), (config5k, env5k) = seen[10], seen[5000]
    assert len(config10) == len(config5k)
    assert [len(line) for line in env10] == [len(line) for line in env5k]


def test_a_list_the_command_names_still_reaches_it(tmp_path) -> None:
    spec = fan_spec(["a", "b"], command='"echo $MLC_FOREACH_I ${{ params.items }}"')
    write_project(tmp_path, {"mlc.yaml": spec})
    done = run_cli("run", "mlc.yaml", "--run-id", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    task = tmp_path / ".mlc" / "runs" / "r" / "steps" / "s" / "i=b"
    assert (task / "stdout.log").read_text() == 'b ["a","b"]\n'
    assert json.loads((task / "config.json").read_text())["params"] == {"items": ["a", "b"]}


def test_a_new_item_runs_alone_the_others_are_cache_hits(tmp_path) -> None:
    outputs = "    outputs: {o: {type: file}}\n"
    command = '"echo $MLC_FOREACH_I > ${{ outputs.o }}"'
    write_project(tmp_path, {"mlc.yaml": fan_spec(["DE", "FR", "NO"], command, outputs)})
    first = run_cli("run", "mlc.yaml", "--run-id", "r1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    write_project(tmp_path, {"mlc.yaml": fan_spec(["DE", "FR", "NO", "PL"], command, outputs)})
    second = run_cli("run", "mlc.yaml", "--run-id", "r2", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    record = json.loads((tmp_path / ".mlc" / "runs" / "r2" / "run.json").read_text())
    assert record["steps"]["s"]["items"] == {"total": 4, "succeeded": 1, "failed": 0,
                                             "skipped": 0, "cached": 3}
    out = tmp_path / ".mlc" / "runs" / "r2" / "steps" / "s" / "i=PL" / "outputs" / "o"
    assert out.read_text() == "PL\n"


def test_argo_item_pods_do_not_carry_the_list(tmp_path) -> None:
    """Per-item pods get their item; only the items task reads the list. Their memoize key
    holds the item and no list, so a new item leaves the other items' entries valid."""
    outputs = "    outputs: {o: {type: file}}\n"
    spec = fan_spec(items(3), '"echo $MLC_FOREACH_I > ${{ outputs.o }}"', outputs, 1000) + \
        'targets:\n  argo: {artifact_store: "s3://b/p/"}\n'
    write_project(tmp_path, {"mlc.yaml": spec})
    done = run_cli("compile", "mlc.yaml", "--target", "argo", "--out", "build", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = next(yaml.safe_load_all((tmp_path / "build" / "argo" / "workflow.yaml").read_text()))
    templates = {t["name"]: t for t in doc["spec"]["templates"]}
    pod = templates["s"]
    names = {p["name"] for p in pod["inputs"]["parameters"]}
    assert not any(n.startswith(("p-", "pj-")) for n in names)
    assert not any(e["name"].startswith("MLC_PARAM_") for e in pod["container"]["env"])
    config = next(a for a in pod["inputs"]["artifacts"] if a["name"] == "mlc-config")
    assert '"params":{}' in config["raw"]["data"]
    assert "pj-" not in pod["memoize"]["key"] and "item-json" in pod["memoize"]["key"]
    items_task = templates["s--items"]
    assert {p["name"] for p in items_task["inputs"]["parameters"]} == {"pj-items", "run-id"}
