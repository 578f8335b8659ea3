"""Sweep trials, drawn at compile time so that every target runs the same ones (SPEC 6.4).

`grid`: the product of the `choice` lists, last hyperparameter fastest. `random`: one
`random.Random(seed)`; for each of `limits.max_total_trials` trials, one draw per hyperparameter
in declaration order (`choice` -> `rng.choice`, `uniform` -> `rng.uniform`, `loguniform` ->
`exp(rng.uniform(ln min, ln max))`, `randint` -> `rng.randint`).
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

from .models import Choice, Range, Sweep


def trial_count(sweep: Sweep) -> int:
    if sweep.sampling_algorithm == "grid":
        return math.prod(len(hp.values) for hp in sweep.search_space.values()
                         if isinstance(hp, Choice))
    return sweep.limits.max_total_trials if sweep.limits is not None else 0


def trials(sweep: Sweep) -> list[dict[str, Any]]:
    """Every trial's hyperparameter values, index = position in this list."""
    names = list(sweep.search_space)
    if sweep.sampling_algorithm == "grid":
        lists = [sweep.search_space[n].values for n in names]
        return [dict(zip(names, combo)) for combo in itertools.product(*lists)]
    rng = random.Random(sweep.seed)
    out = []
    for _ in range(trial_count(sweep)):
        out.append({n: _draw(rng, sweep.search_space[n]) for n in names})
    return out


def _draw(rng: random.Random, hp: Choice | Range) -> Any:
    if isinstance(hp, Choice):
        return rng.choice(hp.values)
    if hp.type == "uniform":
        return rng.uniform(hp.min_value, hp.max_value)
    if hp.type == "loguniform":
        return math.exp(rng.uniform(math.log(hp.min_value), math.log(hp.max_value)))
    return rng.randint(int(hp.min_value), int(hp.max_value))
