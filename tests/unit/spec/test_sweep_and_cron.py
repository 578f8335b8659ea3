"""Compile-time trials (SPEC 6.4) and cron syntax (SPEC 6.7)."""

from __future__ import annotations

import pytest

from mlc.spec.cron import cron_problem
from mlc.spec.models import Sweep
from mlc.spec.sweep import trial_count, trials


def sweep(**kw) -> Sweep:
    base = {"objective": {"primary_metric": "auc", "goal": "maximize"}}
    base.update(kw)
    return Sweep.model_validate(base)


def test_grid_is_the_product_last_fastest() -> None:
    s = sweep(sampling_algorithm="grid", search_space={
        "a": {"type": "choice", "values": [1, 2]}, "b": {"type": "choice", "values": ["x", "y", "z"]}})
    assert trial_count(s) == 6
    assert trials(s)[:3] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"}]


def test_random_is_deterministic_and_seeded() -> None:
    space = {"lr": {"type": "loguniform", "min_value": 1e-4, "max_value": 1e-1},
             "depth": {"type": "randint", "min_value": 2, "max_value": 9},
             "sub": {"type": "uniform", "min_value": 0.5, "max_value": 1.0},
             "kind": {"type": "choice", "values": ["gbm", "rf"]}}
    s = sweep(sampling_algorithm="random", search_space=space, limits={"max_total_trials": 5})
    first, second = trials(s), trials(s)
    assert first == second and len(first) == 5
    assert all(1e-4 <= t["lr"] <= 1e-1 and 2 <= t["depth"] <= 9 for t in first)
    other = trials(sweep(sampling_algorithm="random", search_space=space, seed=1,
                         limits={"max_total_trials": 5}))
    assert other != first


def test_random_draws_per_hyperparameter_in_order() -> None:
    import random

    s = sweep(sampling_algorithm="random", limits={"max_total_trials": 2}, search_space={
        "a": {"type": "uniform", "min_value": 0, "max_value": 1},
        "b": {"type": "choice", "values": [1, 2, 3]}})
    rng = random.Random(0)
    expected = []
    for _ in range(2):
        expected.append({"a": rng.uniform(0, 1), "b": rng.choice([1, 2, 3])})
    assert trials(s) == expected


@pytest.mark.parametrize("expr", ["0 2 1 * *", "*/5 * * * *", "0 0 * * MON-FRI", "0 0 1 JAN,JUL *",
                                  "15,45 8-18/2 * * 1-5", "0 0 * * 7"])
def test_valid_cron(expr: str) -> None:
    assert cron_problem(expr) is None


@pytest.mark.parametrize("expr,fragment", [("0 2 * *", "5 fields"), ("60 * * * *", "out of range"),
                                           ("0 0 0 * *", "out of range"), ("* * * 13 *", "range"),
                                           ("0 0 * * FUNDAY", "not valid"), ("5-1 * * * *", "backwards"),
                                           ("*/0 * * * *", "step 0"), ("@daily", "macros"),
                                           ("0 0 ? * *", "not valid")])
def test_invalid_cron(expr: str, fragment: str) -> None:
    problem = cron_problem(expr)
    assert problem is not None and fragment in problem
