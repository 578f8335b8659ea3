"""Runtime modules ship alone into generated tasks, so SPEC 5.3's canonical text exists in more
than one of them; every copy must give the same text as the compiler's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mlc.plan import canonical
from mlc.runtime import batch, cachekey, items, run_info

values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                                st.floats(allow_nan=False, allow_infinity=False)),
                      lambda inner: st.lists(inner, max_size=4), max_leaves=10)


@given(values)
def test_every_copy_of_canonical_agrees(value) -> None:
    assert items.canonical(value) == run_info.canonical(value) == batch.canonical(value) == \
        canonical(value)


@given(st.one_of(st.text(), st.integers(), st.booleans(),
                 st.floats(allow_nan=False, allow_infinity=False)))
def test_every_copy_of_item_key_encoding_agrees(value) -> None:
    """The Batch driver names S3 prefixes by item key: the items task's keys, exactly."""
    assert batch.enc(value) == items.enc(value)


def test_every_copy_of_tree_digest_agrees(tmp_path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("a")
    (tmp_path / "d" / "sub" / "b.bin").write_bytes(b"\0\1")
    (tmp_path / "f").write_text("file")
    for path in (tmp_path / "d", tmp_path / "f"):
        assert batch.tree_digest(str(path)) == cachekey.tree_digest(str(path))


def test_canonical_examples() -> None:
    assert [canonical(v) for v in ("a b", True, 3, 0.1, [1, "x"])] == \
        ["a b", "true", "3", "0.1", '[1,"x"]']
