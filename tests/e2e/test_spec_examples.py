"""SPEC 9.5: each stated edit of the churn example gives exactly the diagnostic lines shown."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES, run_cli, write_project
from tests.e2e.spec_examples import CHURN_EDITS, apply_edits, billion_laughs

CHURN = (EXAMPLES / "churn" / "mlc.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name,edits,args,expected", CHURN_EDITS, ids=[e[0] for e in CHURN_EDITS])
def test_spec_example(tmp_path, name, edits, args, expected) -> None:
    write_project(tmp_path, {"mlc.yaml": apply_edits(CHURN, edits)})
    result = run_cli("validate", "mlc.yaml", *args, cwd=tmp_path)
    lines = result.stderr.split("\n")
    for line in expected:
        assert line in lines, f"missing {line!r} in:\n{result.stderr}"
    # each expected diagnostic is followed by exactly its continuation lines
    first = lines.index(expected[0])
    assert lines[first:first + len(expected)] == expected
    assert result.returncode == (0 if name == "W106" else 1)
    assert "Traceback" not in result.stderr


def test_billion_laughs(tmp_path) -> None:
    write_project(tmp_path, {"bomb.yaml": billion_laughs()})
    result = run_cli("validate", "bomb.yaml", cwd=tmp_path)
    assert result.stderr.split("\n")[0] == \
        'bomb.yaml:6:10: error[E100]: alias expansion exceeds 100000 nodes ("billion laughs")'
    assert result.returncode == 1
