"""A step's item counts (run.json, the live view, the summary): the tally kept as tasks change
status answers as the item-by-item count does, and an unfinished item is counted as no outcome."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from mlc.run.scheduler import StepState
from mlc.run.tasks import Task

STATUSES = ["running", "succeeded", "failed", "cached", "skipped", "interrupted"]


def step(items: int, trials: int) -> StepState:
    state = StepState("s", None)  # type: ignore[arg-type]
    state.items = [(f"i={i}", {"i": i}) for i in range(items)]
    state.tasks = [Task("s", key, item, t if trials > 1 else None)
                   for key, item in state.items for t in range(trials)]
    state.tally, state.per_item = Counter({"pending": len(state.tasks)}), trials
    return state


@given(st.lists(st.tuples(st.integers(0, 29), st.sampled_from(STATUSES)), max_size=120))
def test_the_tally_answers_as_counting_each_item_does(changes) -> None:
    state = step(30, 1)
    for index, status in changes:
        state.mark(state.tasks[index], status)
    fast = state.counts()
    state.per_item = 0  # force the item-by-item count
    assert fast == state.counts()
    assert sum(state.tally.values()) == 30
    assert state.tally == Counter(t.status for t in state.tasks) + Counter()


def test_a_running_or_pending_item_is_not_done() -> None:
    for trials in (1, 3):
        state = step(4, trials)
        for task in state.tasks[: trials]:  # item 0: every trial succeeded
            state.mark(task, "succeeded")
        state.mark(state.tasks[trials], "running")  # item 1: under way
        assert state.counts() == {"total": 4, "succeeded": 1, "failed": 0, "skipped": 0,
                                  "cached": 0}


def test_sweep_items_take_their_trials_outcome() -> None:
    state = step(4, 2)
    outcome = {0: ["succeeded", "cached"], 1: ["cached", "cached"], 2: ["failed", "succeeded"],
               3: ["interrupted", "succeeded"]}
    for (key, _), statuses in zip(state.items, outcome.values()):
        for task, status in zip([t for t in state.tasks if t.key == key], statuses):
            state.mark(task, status)
    assert state.counts() == {"total": 4, "succeeded": 1, "cached": 1, "failed": 1, "skipped": 1}
