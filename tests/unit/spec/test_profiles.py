"""RFC 7396 merge patch on the positioned tree (SPEC 6.8)."""

from __future__ import annotations

from mlc.source import load_bytes, locate
from mlc.spec.profiles import base_name, merge_patch


def tree(text: str):
    return load_bytes(text.encode(), "t.yaml").source.root


def test_rfc7396_examples() -> None:
    # https://www.rfc-editor.org/rfc/rfc7396#appendix-A (a selection)
    cases = [({"a": "b"}, {"a": "c"}, {"a": "c"}), ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
             ({"a": "b"}, {"a": None}, {}), ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
             ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
             ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
             ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}), (["a", "b"], ["c", "d"], ["c", "d"]),
             ({"a": "b"}, ["c"], ["c"]), ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
             ([1, 2], {"a": "b", "c": None}, {"a": "b"}), ({}, {"a": {"bb": {"ccc": None}}},
                                                           {"a": {"bb": {}}})]
    for target, patch, expected in cases:
        assert merge_patch(target, patch) == expected


def test_merged_positions_come_from_whoever_supplied_the_value() -> None:
    root = tree("a:\n  x: 1\n  y: 2\np:\n  a: {y: 3}\n")
    merged = merge_patch({"a": root["a"]}, root["p"])
    assert merged == {"a": {"x": 1, "y": 3}}
    assert locate(merged, ("a", "x"))[:2] == (2, 6)   # from the base
    assert locate(merged, ("a", "y"))[:2] == (5, 10)  # from the patch


def test_merge_never_mutates() -> None:
    root = tree("a: {x: 1}\np: {a: {x: null}}\n")
    merge_patch({"a": root["a"]}, root["p"])
    assert root["a"] == {"x": 1}


def test_base_name() -> None:
    assert base_name("churn", None) == "churn"
    assert base_name("churn", "eu_prod") == "churn-eu-prod"
