"""Runtime modules ship alone into generated tasks, so SPEC 5.3's canonical text exists in more
than one of them; every copy must give the same text as the compiler's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mlc.plan import canonical
from mlc.runtime import items, run_info

values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                                st.floats(allow_nan=False, allow_infinity=False)),
                      lambda inner: st.lists(inner, max_size=4), max_leaves=10)


@given(values)
def test_every_copy_of_canonical_agrees(value) -> None:
    assert items.canonical(value) == run_info.canonical(value) == canonical(value)


def test_canonical_examples() -> None:
    assert [canonical(v) for v in ("a b", True, 3, 0.1, [1, "x"])] == \
        ["a b", "true", "3", "0.1", '[1,"x"]']
