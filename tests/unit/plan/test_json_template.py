"""`mlc run` writes each task's config.json from a per-step template (json_template, fill_json):
the text must be exactly `json.dumps(resolve_json(...), ensure_ascii=False)`."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from mlc.plan import PathKind, PathSlot, Slot, SlotKind, StrText, fill_json, json_template
from mlc.plan.values import resolve_json

VALUES = {"i": "s00001", "lr": 0.01, "n": 3, "flag": True, "none": None, "text": 'a"b\\c\n\u00e9\u2028',
          "obj": {"i": "x", "j": [1, 2.5]}}
SLOTS = [Slot(SlotKind.FOREACH, "i"), Slot(SlotKind.PARAM_JSON, "lr"), Slot(SlotKind.PARAM, "n"),
         Slot(SlotKind.PARAM, "flag"), Slot(SlotKind.PARAM, "none"), Slot(SlotKind.PARAM, "text"),
         Slot(SlotKind.ITEM_OBJECT, "obj"), PathSlot(PathKind.OUTPUT, "model"),
         PathSlot(PathKind.INPUT, "data"),
         StrText(("gs://b/", Slot(SlotKind.FOREACH, "i"), "/", PathSlot(PathKind.INPUT, "data"))),
         StrText(("plain", Slot(SlotKind.PARAM, "text")))]


def value(slot: Slot):
    return VALUES[slot.name]


def path(slot: PathSlot) -> str:
    return f"/runs/r/steps/s/i=1/{slot.kind.value}s/{slot.name}"


def expected(node) -> str:
    return json.dumps(resolve_json(node, value, path), ensure_ascii=False)


CONFIG = {"mlc_step_config": 1, "project": "p", "run": SLOTS[6], "item": {"i": SLOTS[0]},
          "params": {"lr": SLOTS[1], "n": SLOTS[2]}, "uri": SLOTS[9], "paths": [SLOTS[7], SLOTS[8]],
          "note": "literal \u00e9 \" text", "nested": {"list": [SLOTS[3], SLOTS[4], SLOTS[10]]}}


def test_the_template_gives_the_bytes_of_the_resolved_config():
    assert fill_json(json_template(CONFIG), value, path) == expected(CONFIG)


def test_holes_given_at_once_are_literal_text_and_the_bytes_do_not_change():
    now = {SLOTS[1]: json.dumps(0.01), SLOTS[10]: json.dumps('plain' + VALUES["text"],
                                                              ensure_ascii=False)}
    template = json_template(CONFIG, now.get)
    assert SLOTS[1] not in template and SLOTS[10] not in template and SLOTS[0] in template
    assert fill_json(template, value, path) == expected(CONFIG)


def test_a_value_that_is_not_json_is_refused():
    try:
        json_template({"x": object()})
    except TypeError as exc:
        assert "not JSON" in str(exc)
    else:
        raise AssertionError("an object that is not JSON was accepted")


leaf = st.one_of(st.sampled_from(SLOTS), st.text(max_size=8), st.integers(), st.none(),
                 st.booleans(), st.floats(allow_nan=False))
tree = st.recursive(leaf, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=5), kids, max_size=4)),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(tree)
def test_any_config_tree(node):
    assert fill_json(json_template(node), value, path) == expected(node)
