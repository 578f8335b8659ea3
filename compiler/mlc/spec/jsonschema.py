"""JSON Schema of mlc/v1, generated from the models (`mlc schema`).

The committed copy is `schemas/mlc-v1.schema.json`; a test fails when it drifts from the models.
Regenerate with `python -m mlc.spec.jsonschema > schemas/mlc-v1.schema.json`.
"""

from __future__ import annotations

import json

SCHEMA_ID = "https://mlc.dev/schemas/mlc-v1.schema.json"


def document_schema() -> dict:
    from .models import Document

    schema = Document.model_json_schema(by_alias=True, mode="validation")
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
           "title": "mlc/v1 pipeline (mlc.yaml)",
           "description": "One typed file declaring data sources, features, training, "
                          "evaluation gates and rollout. See docs/language.md."}
    out.update({k: v for k, v in schema.items() if k not in ("title", "description")})
    return out


def schema_text() -> str:
    return json.dumps(document_schema(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(schema_text())
