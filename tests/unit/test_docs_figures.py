"""The figures the README states about the churn example are the ones mlc computes."""

from __future__ import annotations

import re

from mlc.api import validate
from mlc.graph import expansion
from tests.conftest import EXAMPLES, ROOT


def test_readme_task_count_is_churns() -> None:
    result = validate(str(EXAMPLES / "churn" / "mlc.yaml"), phase7="none")
    exp = expansion(result.configs[None], "train")
    tasks = exp.items * exp.trials
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"churn example's ([\d,]+)-task", readme)
    assert stated and int(stated[1].replace(",", "")) == tasks == 25000


def test_readme_states_churns_compiled_size(tmp_path) -> None:
    from mlc.api import compile as compile_spec

    result = compile_spec(str(EXAMPLES / "churn" / "mlc.yaml"), target="argo",
                          out=str(tmp_path))
    size = len(result.files["workflow.yaml"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"workflow.yaml ({size} bytes)" in readme


def test_readme_states_the_step_functions_example_sizes(tmp_path) -> None:
    from mlc.api import compile as compile_spec

    result = compile_spec(str(EXAMPLES / "sagemaker" / "mlc.yaml"), target="stepfunctions",
                          out=str(tmp_path))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("statemachine.asl.json", "template.yaml"):
        assert f"{name} ({len(result.files[name])} bytes)" in readme
