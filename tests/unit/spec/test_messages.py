"""Messages read as English."""

from __future__ import annotations

from mlc.api import validate
from mlc.diagnostics.suggest import article


def test_articles() -> None:
    assert article("integer") == "an integer" and article("number") == "a number"


def test_default_of_the_wrong_type(tmp_path) -> None:
    path = tmp_path / "mlc.yaml"
    path.write_text('apiVersion: mlc/v1\nproject: {name: p, version: 1.0.0}\nparams:\n'
                    '  n: {type: integer, default: "x"}\n'
                    'steps:\n  s: {image: "a:1", command: "echo ${{ params.n }}"}\n')
    messages = [d.message for d in validate(str(path)).errors]
    assert messages == ["default 'x' is not an integer"]
