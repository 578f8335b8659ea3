"""mlc.record.Record gives a frozen dataclass declared `eq=False, repr=False` the equality,
hash and repr that `dataclass(frozen=True)` would generate."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from mlc.record import MutableRecord, Record


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Shared(Record):
    name: str
    items: tuple = ()
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Generated:
    name: str
    items: tuple = ()
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


@dataclass(frozen=True, eq=False, repr=False)
class One(Record):
    value: int


@dataclass(frozen=True)
class OneGenerated:
    value: int


CASES = [("a", (), "", ""), ("a", (1, 2), "x", "s"), ("b", ("c",), "y", "")]


@pytest.mark.parametrize("left", CASES)
@pytest.mark.parametrize("right", CASES)
def test_equality_and_hash_as_generated(left, right) -> None:
    assert (Shared(*left) == Shared(*right)) == (Generated(*left) == Generated(*right))
    assert (hash(Shared(*left)) == hash(Shared(*right))) == \
        (hash(Generated(*left)) == hash(Generated(*right)))


def test_compare_false_field_is_ignored_and_hash_follows_equality() -> None:
    assert Shared("a", note="x") == Shared("a", note="y")
    assert hash(Shared("a", note="x")) == hash(Shared("a", note="y"))
    assert len({Shared("a", note="x"), Shared("a", note="y"), Shared("b")}) == 2


def test_other_classes_are_not_equal() -> None:
    assert Shared("a") != Generated("a")
    assert Shared("a").__eq__(Generated("a")) is NotImplemented
    assert One(1) != OneGenerated(1) and One(1) != 1


@pytest.mark.parametrize("args", CASES)
def test_repr_as_generated(args) -> None:
    assert repr(Shared(*args)) == repr(Generated(*args)).replace("Generated(", "Shared(")


def test_single_field_and_frozen() -> None:
    assert One(3) == One(3) and One(3) != One(4)
    assert hash(One(3)) == hash(OneGenerated(3))
    assert repr(One(3)) == "One(value=3)"
    with pytest.raises(AttributeError):
        One(3).value = 4  # type: ignore[misc]
    assert not hasattr(Shared("a"), "__dict__")  # slots stay slots


@dataclass(eq=False, repr=False)
class Mutable(MutableRecord):
    name: str
    items: list = field(default_factory=list)


@dataclass
class MutableGenerated:
    name: str
    items: list = field(default_factory=list)


def test_mutable_record_as_generated() -> None:
    a, b = Mutable("a", [1]), Mutable("a", [1])
    assert a == b and a != Mutable("a", [2]) and a != MutableGenerated("a", [1])
    assert repr(a) == repr(MutableGenerated("a", [1])).replace("MutableGenerated(", "Mutable(")
    b.items.append(2)
    assert a != b
    with pytest.raises(TypeError):
        hash(a)  # like a generated mutable dataclass: no hash
    with pytest.raises(TypeError):
        hash(MutableGenerated("a"))
