"""`Record`: equality, hash and repr by fields, written once for mlc's frozen dataclasses.

`dataclasses` writes the source of `__eq__`, `__hash__` and `__repr__` for each class and
compiles it with `exec` when the class is created: on CPython 3.11 about 0.1 ms a method. A
command creates some fifty of mlc's frozen classes before it reads its file, which made these
three methods 4% of a one-step `mlc compile` (`bench/instructions.py`). A class declared

    @dataclass(frozen=True, eq=False, repr=False)
    class Slot(Record):

inherits them from here instead, with the results `dataclass(frozen=True)` would give: equal
when of the same class with equal compared fields (`field(compare=False)` is honoured), a hash
of those fields, and `Slot(kind=..., name=...)` as its repr. `dataclass` generates the rest
(`__init__`, and the frozen `__setattr__`), as before. These methods run rarely (sets of
slots, tests, debugging); the class creation runs at every start.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import reprlib
from collections.abc import Callable
from typing import Any


@functools.cache
def _shape(cls: type) -> tuple[Callable[[Any], tuple], Callable[[Any], tuple], tuple[str, ...]]:
    """A class's compared values, hashed values (as tuples), and the names its repr shows."""
    fields = dataclasses.fields(cls)
    compared = [f.name for f in fields if f.compare]
    hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
    return _getter(compared), _getter(hashed), tuple(f.name for f in fields if f.repr)


def _getter(names: list[str]) -> Callable[[Any], tuple]:
    if not names:
        return lambda obj: ()
    get = operator.attrgetter(*names)
    return get if len(names) > 1 else lambda obj: (get(obj),)


class Record:
    """The base of a frozen dataclass declared with `eq=False, repr=False` (module doc)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        compared = _shape(self.__class__)[0]
        return compared(self) == compared(other)

    def __hash__(self) -> int:
        return hash(_shape(self.__class__)[1](self))

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        names = _shape(self.__class__)[2]
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{self.__class__.__qualname__}({shown})"


class MutableRecord(Record):
    """The base of a mutable dataclass declared `@dataclass(eq=False, repr=False)`: equality
    and repr as `dataclass()` generates them, and like it no hash (its fields may change)."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]
