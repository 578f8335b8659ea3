"""Every slot kind has a renderer on every consumer of the plan: a kind added to the enum and
forgotten by a renderer fails here, not in a user's run."""

from __future__ import annotations

import pytest

from mlc.lower.argo.syntax import FIXED_PARAM, NOT_A_PARAM, PARAM_OF, config_json, render_text
from mlc.plan import PathKind, PathSlot, Slot, SlotKind, StrText
from mlc.run.tasks import VALUE_OF

SAMPLE = {SlotKind.RUN: "date", SlotKind.RUN_JSON: "started_at", SlotKind.OUTPUT: "o",
          SlotKind.OUTPUT_JSON: "o"}


def sample(kind: SlotKind) -> Slot:
    return Slot(kind, SAMPLE.get(kind, "x"), "s" if kind.name.startswith("OUTPUT") else "")


@pytest.mark.parametrize("kind", list(SlotKind), ids=lambda k: k.name)
def test_argo_renders_every_kind(kind: SlotKind) -> None:
    covered = kind in PARAM_OF or kind in FIXED_PARAM or kind in NOT_A_PARAM
    assert covered, f"{kind} has no Argo rendering"
    if kind is SlotKind.LOCAL_PATH:
        return  # E406: local sources never reach Argo
    text = render_text((sample(kind),))
    assert text and "{{" in text or text == "argo"
    config, _ = config_json({"v": sample(kind), "s": StrText(("a", sample(kind)))},
                            {"s.o": "string"})
    assert config.startswith("{")


@pytest.mark.parametrize("kind", list(SlotKind), ids=lambda k: k.name)
def test_local_run_has_a_value_for_every_kind(kind: SlotKind) -> None:
    assert kind in VALUE_OF


@pytest.mark.parametrize("kind", list(PathKind), ids=lambda k: k.name)
def test_paths_render_on_argo(kind: PathKind) -> None:
    from mlc.lower.argo.syntax import path_of

    assert path_of(PathSlot(kind, "x")).startswith("/mlc/")


def test_output_slots_name_their_producer_without_parsing() -> None:
    slot = Slot(SlotKind.OUTPUT, "best_params", "train_model")
    assert slot.output_ref == "train_model.best_params"
    from mlc.lower.argo.syntax import slot_param

    assert slot_param(slot) == "o-train-model-best_params"
