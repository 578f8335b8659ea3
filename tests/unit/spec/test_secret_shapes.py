"""E601/E602 find secret-shaped literals however the YAML spells them: the check skips the
per-string walk only when the file's text can hold no shape (no marker, no escape)."""

from __future__ import annotations

import pytest

from mlc.api import validate

HEAD = "apiVersion: mlc/v1\nproject: {name: p, version: 1.0.0}\nsteps:\n  s:\n" \
       "    image: \"a:1\"\n"


@pytest.mark.parametrize("command, code", [
    ("command: python t.py --key AKIAIOSFODNN7EXAMPLE\n", "E602"),
    # a double-quoted escape spells the marker: the text does not hold it literally
    ('command: "python t.py --key \\x41KIAIOSFODNN7EXAMPLE"\n', "E602"),
    # a plain scalar folded at the space of the PEM header
    ("command: echo -----BEGIN\n      RSA PRIVATE KEY----- x\n", "E602"),
    ('command: "curl https://u:hunter2@example.com/x"\n', "E601"),
    ("command: python t.py --out /tmp/x\n", None),
])
def test_secret_shapes(tmp_path, command: str, code: str | None) -> None:
    path = tmp_path / "mlc.yaml"
    path.write_text(HEAD + "    " + command, encoding="utf-8")
    codes = [d.code for d in validate(str(path)).diagnostics if d.code in ("E601", "E602")]
    assert codes == ([code] if code else [])
