"""Checks of compiled Kubeflow pipelines with kfp's own code (tests only): the IR and the
platform spec parse into kfp-pipeline-spec's and kfp-kubernetes' protobuf messages with no
unknown field, and kfp loads the file as a component."""

from __future__ import annotations

from pathlib import Path

import yaml


def load(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def parse(path: Path) -> list[str]:
    """Problems found parsing `pipeline.yaml` strictly (empty: none)."""
    from google.protobuf import json_format
    from kfp.kubernetes import kubernetes_executor_config_pb2 as k8s_pb2
    from kfp.pipeline_spec import pipeline_spec_pb2

    problems = []
    docs = load(path)
    try:
        json_format.ParseDict(docs[0], pipeline_spec_pb2.PipelineSpec(),
                              ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        problems.append(f"PipelineSpec: {exc}")
    for doc in docs[1:]:
        try:
            platform = json_format.ParseDict(doc, pipeline_spec_pb2.PlatformSpec(),
                                             ignore_unknown_fields=False)
        except json_format.ParseError as exc:
            problems.append(f"PlatformSpec: {exc}")
            continue
        for name, config in doc["platforms"]["kubernetes"]["deploymentSpec"]["executors"].items():
            try:
                json_format.ParseDict(config, k8s_pb2.KubernetesExecutorConfig(),
                                      ignore_unknown_fields=False)
            except json_format.ParseError as exc:
                problems.append(f"KubernetesExecutorConfig {name}: {exc}")
        del platform
    try:
        from kfp import components

        components.load_component_from_file(str(path))
    except Exception as exc:  # noqa: BLE001 - any refusal is the finding
        problems.append(f"kfp.components.load_component_from_file: {exc!r}")
    return problems
