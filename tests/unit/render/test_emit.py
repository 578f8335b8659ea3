"""The YAML emitter: whatever it writes, YAML 1.1 (PyYAML, as Kubernetes reads) and YAML 1.2
(mlc's own loader) read back exactly the data that was written."""

from __future__ import annotations

import math

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlc.render.emit import dump, scalar
from mlc.source import load_bytes, to_plain

TRICKY = ["yes", "No", "ON", "off", "y", "N", "null", "Null", "~", "", " ", "true", "False",
          "1", "1.0", "1e3", "0x1F", "0o17", "1_000", "12:30", "2024-01-01", ".inf", "-.NaN",
          "=", "<<", "*a", "&a", "!tag", "%x", "@x", "`x", "- x", "? x", "a: b", "a #b", "#c",
          "{x}", "[x]", "a,b", "'q'", '"q"', "tab\there", "multi\nline\n", "no newline\nend",
          "trailing space\n ", "  lead", "é€😀", "\u2028", "x\r\ny", "\x07bell", "0", "-1", "+1",
          "1.", ".5", "3.2.0", "8Gi", "500m", "a/b.c_d-e", "python -m churn.train",
          "{{inputs.parameters.x}}", "$(touch pwned)", "x\n\n", "\n", "x\n"]

keys = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(TRICKY), st.text(max_size=30))
data = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=30)


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=0, abs_tol=0)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return a == b and type(a) is type(b)


@settings(max_examples=400, deadline=None)
@given(doc=st.one_of(st.dictionaries(keys, data, min_size=1, max_size=5),
                     st.lists(data, min_size=1, max_size=5)))
def test_round_trip_yaml11_and_yaml12(doc) -> None:
    text = dump(doc)
    assert text.endswith("\n")
    assert _same(doc, yaml.safe_load(text)), text
    loaded = load_bytes(text.encode("utf-8"), "t.yaml")
    assert loaded.diagnostics == [], (text, loaded.diagnostics)
    assert _same(doc, to_plain(loaded.source.root)), text


def test_plain_only_when_unambiguous() -> None:
    assert scalar("python") == "python" and scalar("a/b.c") == "a/b.c"
    for tricky in ("yes", "NO", "on", "null", "1.0", "12:30", "2024-01-01", "8Gi", "a: b", ""):
        assert scalar(tricky).startswith('"'), tricky
    assert scalar(1e-05) == "1.0e-05"


def test_shape() -> None:
    doc = {"a": [{"name": "x", "value": "1"}], "b": {"c": {"d": [1, 2]}},
           "script": "import os\nprint(1)\n", "empty": {}}
    assert dump(doc) == ('a: [{name: x, value: "1"}]\nb:\n  c:\n    d: [1, 2]\n'
                         'script: |\n  import os\n  print(1)\nempty: {}\n')


def test_long_lists_of_maps_stay_one_item_a_line() -> None:
    env = [{"name": f"MLC_VAR_{i}", "value": "/mlc/outputs/some/long/path"} for i in range(4)]
    text = dump({"env": env})
    assert text.startswith("env:\n- {name: MLC_VAR_0, ") and text.count("\n") == 5
    assert all(len(line) <= 120 for line in dump({"p": env[:1]}).splitlines())


def test_equal_maps_of_other_types_are_written_as_their_own() -> None:
    # one-line maps of strings are looked up by their items; 1 == True == 1.0 must not make
    # one map's text another's (in either order)
    doc = {"a": [{"k": "v"}], "b": [{"k": 1}], "c": [{"k": True}], "d": [{"k": 1.0}],
           "e": [{1: "v"}], "f": [{True: "v"}], "g": [{"k": "v"}]}
    expected = ("a: [{k: v}]\nb: [{k: 1}]\nc: [{k: true}]\nd: [{k: 1.0}]\ne: [{1: v}]\n"
                "f: [{true: v}]\ng: [{k: v}]\n")
    assert dump(doc) == expected
    assert dump(dict(reversed(doc.items()))).splitlines() == \
        list(reversed(expected.splitlines()))


def test_json_payloads_are_single_quoted() -> None:
    import yaml

    for text in ['{"a":"b"}', '{"q":"it\'s"}', ' {"lead":1}', '{"t":"\\u0001"}', '"\x85"']:
        out = dump({"v": text})
        assert yaml.safe_load(out) == {"v": text}
    assert dump({"v": '{"a":"b"}'}) == "v: '{\"a\":\"b\"}'\n"
    # a `'` is doubled inside single quotes while that is cheaper than escaping the `"`s
    assert dump({"v": '{"q":"it\'s"}'}) == "v: '{\"q\":\"it''s\"}'\n"
    assert dump({"v": "'a' \"b\""}).startswith('v: "')


# The character classes YAML 1.1 and 1.2 readers take raw, written out in full: the emitter
# compiles them only for text that is not ASCII and uses smaller ones for ASCII.
_FULL = "\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_CHARS = st.sampled_from([chr(c) for c in list(range(0x100)) + [
    0x2027, 0x2028, 0x2029, 0x202a, 0xd7ff, 0xe000, 0xfefe, 0xfeff, 0xff00, 0xfffd, 0xfffe,
    0xffff, 0x10000, 0x10ffff]])


@settings(max_examples=500, deadline=None)
@given(st.text(_CHARS, max_size=8))
def test_the_ascii_fast_path_accepts_what_the_full_classes_accept(text) -> None:
    import re

    from mlc.render.emit import _raw_ok, _single_ok

    assert _raw_ok(text) == bool(re.match("[" + _FULL + "]*\\Z", text))
    assert _single_ok(text) == bool(re.match("(?! )[" + _FULL[2:] + "]+(?<! )\\Z", text))
