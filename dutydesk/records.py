"""Frozen records: frozen dataclasses whose methods are not compiled at import (issue 16).

``@dataclass(frozen=True)`` writes six methods of each class (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``) as source text and compiles
them with ``exec`` when the module is imported: 0.2-0.3 ms a method on this machine, ~1.6
ms for ``Settings`` alone, paid by every command before it does anything (about 6 ms of
``incident add`` for the classes on its path). :func:`record` makes the same class with
methods written once, here, and so kept compiled in this module's ``.pyc``: the class is
still a dataclass (``fields()``, ``replace()``, ``asdict()``, ``__match_args__``), its
instances compare, hash, print and refuse assignment as the frozen dataclass's do
(``tests/test_records.py`` holds each to a real one), at the cost of a loop over the
fields in ``__init__`` (a few microseconds for a class made a few times per command).

Only what the records here use is taken: plain fields with a default or a default
factory, ``compare``/``hash``/``repr`` per field. Anything else (``__post_init__``,
``InitVar``, ``kw_only``, a field left out of ``__init__``, a dataclass base) is refused
when the class is made, so that no difference from ``@dataclass(frozen=True)`` goes unseen.
One difference is left, on purpose: ``__dataclass_params__`` says how ``dataclass`` made
the class (no ``__init__``, ``__repr__``, ``__eq__``, not frozen), since these methods are
this module's; nothing in dutydesk reads it or makes a subclass of a record.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields, is_dataclass
from typing import Any, NamedTuple, TypeVar, dataclass_transform

_T = TypeVar("_T")


def _fields_of(cls: type[Any]) -> tuple[Field[Any], ...]:
    """``cls`` made a dataclass without methods: its fields, refused unless plain ones."""
    if any(is_dataclass(base) for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: a record's base may not be a dataclass")
    if "__post_init__" in cls.__dict__ or not cls.__doc__:
        raise TypeError(f"{cls.__name__}: a record has a docstring and no __post_init__")
    dataclass(init=False, repr=False, eq=False)(cls)
    own = fields(cls)
    declared = cls.__dataclass_fields__  # ClassVar and InitVar pseudo-fields too
    if len(own) != len(declared) or any(not f.init or f.kw_only is True for f in own):
        raise TypeError(f"{cls.__name__}: a record's fields are plain ones (see records)")
    return own


class _Plan(NamedTuple):
    """How ``__init__`` fills a record's fields: names in order, defaults, factories."""

    names: tuple[str, ...]
    places: dict[str, int]
    fills: tuple[tuple[str, Any, Any], ...]  # (name, default, factory), MISSING if none


def _plan(own: tuple[Field[Any], ...]) -> _Plan:
    names = tuple(f.name for f in own)
    fills = tuple((f.name, f.default, f.default_factory) for f in own)
    return _Plan(names, {name: place for place, name in enumerate(names)}, fills)


def _fill(target: object, plan: _Plan, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Set ``target``'s fields from ``__init__``'s arguments as a dataclass's would."""
    given = len(args)
    if given > len(plan.names):
        raise TypeError(
            f"__init__() takes {len(plan.names) + 1} positional arguments"
            f" but {given + 1} were given"
        )
    put = object.__setattr__
    for name, value in zip(plan.names, args, strict=False):
        put(target, name, value)
    for name in kwargs:
        place = plan.places.get(name)
        if place is None:
            raise TypeError(f"__init__() got an unexpected keyword argument {name!r}")
        if place < given:
            raise TypeError(f"__init__() got multiple values for argument {name!r}")
    missing = []
    for name, default, factory in plan.fills[given:]:
        if name in kwargs:
            put(target, name, kwargs[name])
        elif default is not MISSING:
            put(target, name, default)
        elif factory is not MISSING:
            put(target, name, factory())
        else:
            missing.append(name)
    if missing:
        raise TypeError(f"__init__() missing required arguments: {', '.join(missing)}")


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: type[_T]) -> type[_T]:
    """``cls`` as a frozen dataclass whose methods were compiled with this module."""
    own = _fields_of(cls)
    plan = _plan(own)
    names = plan.names
    compared = tuple(f.name for f in own if f.compare)
    hashed = tuple(f.name for f in own if (f.compare if f.hash is None else f.hash))
    shown = tuple(f.name for f in own if f.repr)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        _fill(self, plan, args, kwargs)

    def __repr__(self: Any) -> str:
        parts = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({parts})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        # As the dataclass's: tuples, whose comparison takes an identical item as equal.
        mine = tuple(getattr(self, name) for name in compared)
        return mine == tuple(getattr(other, name) for name in compared)

    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, name) for name in hashed))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    for method in (__init__, __repr__, __eq__, __hash__, __setattr__, __delattr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        method.__module__ = cls.__module__
        setattr(cls, method.__name__, method)
    return cls


__all__ = ["record"]
