"""Committed generated files match their generators (schema, diagnostics reference)."""

from __future__ import annotations

import json

import jsonschema

from mlc.diagnostics.docs import diagnostics_markdown
from mlc.source import load_path, to_plain
from mlc.spec.jsonschema import schema_text
from tests.conftest import EXAMPLES, ROOT


def load12(path):
    """YAML 1.2, as editors read it (yaml.safe_load is YAML 1.1: `on:` would become True)."""
    return to_plain(load_path(path).source.root)


def test_schema_has_not_drifted() -> None:
    committed = (ROOT / "schemas" / "mlc-v1.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run `make schema` and commit the result"


def test_diagnostics_doc_has_not_drifted() -> None:
    committed = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert committed == diagnostics_markdown(), "run `make docs` and commit the result"


def test_examples_validate_against_the_exported_schema() -> None:
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("minimal", "churn", "sagemaker"):
        doc = load12(EXAMPLES / name / "mlc.yaml")
        errors = sorted(validator.iter_errors(doc), key=str)
        assert not errors, errors[0]


def test_schema_rejects_an_unknown_key() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(schema_text()))
    doc = load12(EXAMPLES / "minimal" / "mlc.yaml")
    doc["steps"]["train"]["max_paralell"] = 3
    assert not validator.is_valid(doc)


def test_churn_picture_source_has_not_drifted() -> None:
    """docs/img/churn-dag.png is rendered by graphviz from docs/img/churn-dag.dot (`make docs`)."""
    from mlc.api import validate
    from mlc.graph.render import to_dot

    result = validate(str(EXAMPLES / "churn" / "mlc.yaml"))
    committed = (ROOT / "docs" / "img" / "churn-dag.dot").read_text(encoding="utf-8")
    assert committed == to_dot(result.graphs[None], "churn"), "run `make docs` and commit"
    assert (ROOT / "docs" / "img" / "churn-dag.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
