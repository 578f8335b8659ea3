"""source/: YAML 1.2 core schema, positions, and the hostile-input rules of SPEC 9.3."""

from __future__ import annotations

import pytest

from mlc.source import BadScalar, Limits, YMap, find_in_scalar, load_bytes, locate


def load(text: str | bytes, **kw):
    data = text.encode() if isinstance(text, str) else text
    return load_bytes(data, "t.yaml", Limits(**kw) if kw else Limits())


@pytest.mark.parametrize("raw,value", [
    ("~", None), ("null", None), ("Null", None), ("", None),
    ("true", True), ("False", False), ("TRUE", True),
    ("yes", "yes"), ("NO", "NO"), ("on", "on"), ("y", "y"),          # YAML 1.1 booleans: strings
    ("12", 12), ("-3", -3), ("0o17", 15), ("0x1F", 31), ("017", 17),
    ("1.5", 1.5), ("1e3", 1000.0), (".5", 0.5), ("-1.", -1.0),
    ("1_000", "1_000"), ("0b11", "0b11"), ("1:20", "1:20"),           # 1.1-only forms: strings
    ("3.2.0", "3.2.0"), ("2024-01-01", "2024-01-01"),                 # no timestamps in 1.2 core
])
def test_core_schema(raw: str, value) -> None:
    loaded = load(f"v: {raw}\n")
    assert loaded.diagnostics == []
    got = loaded.source.root["v"]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("raw", ["99999999999999999999", "-9223372036854775809", ".inf", "-.Inf",
                                 ".nan", "1e999"])
def test_out_of_range_scalars_are_deferred(raw: str) -> None:
    loaded = load(f"v: {raw}\n")
    assert isinstance(loaded.source.root["v"], BadScalar)
    assert [(p, s.line, s.col) for p, s, _ in loaded.source.deferred] == [(("v",), 1, 4)]


def test_int64_bounds_are_accepted() -> None:
    root = load("a: 9223372036854775807\nb: -9223372036854775808\n").source.root
    assert root == {"a": 2**63 - 1, "b": -(2**63)}


@pytest.mark.parametrize("text,value", [
    ('v: !!str 12', "12"), ("v: !!int '12'", 12), ("v: !!float 1", 1.0), ("v: !!bool true", True),
    ("v: !!null ''", None), ("v: !!seq [1]", [1]), ("v: !!map {a: 1}", {"a": 1}),
])
def test_core_tags_select_a_resolution(text: str, value) -> None:
    loaded = load(text)
    assert loaded.diagnostics == [] and loaded.source.root["v"] == value


@pytest.mark.parametrize("text,col", [("v: !!int abc", 4), ("v: !!map [1]", 4), ("v: !!set {a}", 4),
                                      ("v: !!binary aGk=", 4), ("v: !!timestamp 2001-12-14", 4)])
def test_other_tags_fail(text: str, col: int) -> None:
    assert [d.check_tuple() for d in load(text).diagnostics] == [("E100", 1, col)]


def test_positions_are_code_points_and_one_based() -> None:
    root = load("k: é€😀\nm:\n  - {a: 1, b: [x, \"ü\"]}\n").source.root
    assert root.vspans["k"][:2] == (1, 4)
    inner = root["m"][0]
    assert inner.kspans["b"][:2] == (3, 12)
    assert inner["b"].ispans[1][:2] == (3, 19)
    assert locate(root, ("m", 0, "b", 1))[:2] == (3, 19)
    assert locate(root, ("m", 0, "b"), key=True)[:2] == (3, 12)


def test_locate_skips_missing_parts_and_stops_at_deepest() -> None:
    root = load("a:\n  b: 1\n").source.root
    assert locate(root, ("a", "tag", "b"))[:2] == (2, 6)
    assert locate(root, ("a", "nope"))[:2] == (2, 3)


def test_find_in_folded_scalar_maps_back_to_source_lines() -> None:
    text = "c: >-\n  one ${{ a }}\n  two ${{ b }}\n"
    src = load(text).source
    span = src.root.vspans["c"]
    assert src.root["c"] == "one ${{ a }} two ${{ b }}"
    assert find_in_scalar(text, span, "${{ b }}") == (3, 7)


def test_duplicate_keys_are_all_reported() -> None:
    diags = load("a: 1\nb: 2\na: 3\nb: 4\n").diagnostics
    assert [d.check_tuple() for d in diags] == [("E102", 3, 1), ("E102", 4, 1)]
    assert "first defined at 1:1" in diags[0].message


def test_bom_is_allowed() -> None:
    loaded = load(b"\xef\xbb\xbfa: 1\n")
    assert loaded.diagnostics == [] and loaded.source.root == {"a": 1}


def test_crlf_line_endings() -> None:
    root = load(b"a: 1\r\nb: x\r\n").source.root
    assert root == {"a": 1, "b": "x"} and root.vspans["b"][:2] == (2, 4)


def test_yaml12_directive_is_accepted() -> None:
    assert load("%YAML 1.2\n---\na: 1\n").diagnostics == []


def test_size_limit_is_checked_before_parsing() -> None:
    # not even valid YAML: the size check comes first
    diags = load(b"[" * 2048, max_file_size=1024).diagnostics
    assert [d.check_tuple() for d in diags] == [("E100", 1, 1)]
    assert "larger than" in diags[0].message


def test_node_limit_without_aliases() -> None:
    text = "a: [" + ", ".join(["1"] * 200) + "]\n"
    diags = load(text, max_nodes=100).diagnostics
    assert diags[0].code == "E100" and "more than 100 nodes" in diags[0].message


def test_aliases_share_and_count() -> None:
    loaded = load("a: &x {k: [1, 2]}\nb: *x\nc: *x\n")
    root = loaded.source.root
    assert root["b"] is root["a"] and root["c"] == {"k": [1, 2]}
    assert isinstance(root, YMap)


def test_w106_candidates_are_values_not_keys() -> None:
    src = load("on: yes\nlist: [NO, 'no', n]\n").source
    assert [(p, raw) for p, _, raw in src.yaml11_booleans] == [(("on",), "yes"),
                                                                (("list", 0), "NO"),
                                                                (("list", 2), "n")]


# --- YAML 1.2 line breaks and invisible characters ----------------------------------------------

MINIMAL_HEAD = "apiVersion: mlc/v1\nproject: {name: p, version: 1.0.0, description: \"%s\"}\n"
STEPS = "steps:\n  s: {image: \"a:1\", command: echo, retries: nope}\n"


def test_nel_in_a_string_is_content_and_keeps_line_numbers(tmp_path) -> None:
    from mlc.api import validate

    path = tmp_path / "mlc.yaml"
    path.write_text(MINIMAL_HEAD % "a\u0085b\u2029c" + STEPS, encoding="utf-8")
    result = validate(str(path))
    assert [d.check_tuple() for d in result.errors] == [("E103", 4, 45)]  # as without NEL
    loaded = load_bytes(path.read_bytes(), str(path))
    assert loaded.source.root["project"]["description"] == "a\u0085b\u2029c"


def test_line_separator_in_a_comment_is_not_a_line_break(tmp_path) -> None:
    from mlc.api import validate

    path = tmp_path / "mlc.yaml"
    path.write_text("# a comment \u2028 with a separator: not: yaml\n" + MINIMAL_HEAD % "d"
                    + STEPS.replace("retries: nope", "retries: 1"), encoding="utf-8")
    assert validate(str(path)).diagnostics == []


def test_invisible_characters_are_shown_escaped(tmp_path) -> None:
    from mlc.api import validate

    path = tmp_path / "mlc.yaml"
    path.write_text(MINIMAL_HEAD % "d" + STEPS.replace("retries: nope", "retries\u200b: 1")
                    .replace("command: echo", "command: \"echo \u202e\""), encoding="utf-8")
    messages = [d.message for d in validate(str(path)).errors]
    assert messages == ["unknown key 'retries\\u200b' in steps.s"]
