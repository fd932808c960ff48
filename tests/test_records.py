"""A record behaves as the frozen dataclass it stands for (``dutydesk.records``, issue 16)."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any, ClassVar

import pytest

from dutydesk.records import record


@record
class Made:
    """A record with every kind of field the records use."""

    name: str
    size: int = 1
    tags: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict, hash=False)
    note: str | None = field(default=None, compare=False)
    hidden: str = field(default="", repr=False)


@dataclass(frozen=True)
class Real:
    """The same class as a frozen dataclass."""

    name: str
    size: int = 1
    tags: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict, hash=False)
    note: str | None = field(default=None, compare=False)
    hidden: str = field(default="", repr=False)


def both(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    return Made(*args, **kwargs), Real(*args, **kwargs)


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a",), {}),
    (("a", 2, ("x",)), {"note": "n"}),
    ((), {"name": "b", "extra": {"k": 1}, "hidden": "h"}),
    (("c",), {"size": math.nan}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_a_record_is_made_compared_and_printed_as_the_dataclass(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    made, real = both(*args, **kwargs)
    assert repr(made) == repr(real).replace("Real(", "Made(")
    assert dataclasses.asdict(made) == dataclasses.asdict(real) or math.isnan(made.size)
    assert made == Made(*args, **kwargs)  # NaN too: the same object is equal, as in a tuple
    assert (made == Made(*args, **kwargs)) == (real == Real(*args, **kwargs))
    if not kwargs.get("extra"):
        assert hash(made) == hash(Made(*args, **kwargs))
    assert made.__match_args__ == real.__match_args__
    assert made != real  # another class: never equal, as between two dataclasses


def test_the_fields_left_out_of_comparing_and_hashing_are_the_dataclasss() -> None:
    assert Made("a", note="x") == Made("a", note="y")
    assert hash(Made("a", extra={"k": 1})) == hash(Made("a"))
    assert Made("a", extra={"k": 1}) != Made("a")
    assert hash(Made("a", 2)) == hash(Real("a", 2))  # the same tuple hashed


def test_a_record_refuses_assignment_as_a_frozen_dataclass_does() -> None:
    made = Made("a")
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'name'"):
        made.name = "b"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'size'"):
        del made.size
    with pytest.raises(FrozenInstanceError):
        made.other = 1  # type: ignore[attr-defined]


def test_replace_fields_copy_and_pickle_work_on_a_record() -> None:
    made = Made("a", extra={"k": 1})
    assert dataclasses.replace(made, size=3) == Made("a", 3, extra={"k": 1})
    assert [f.name for f in dataclasses.fields(made)] == [f.name for f in dataclasses.fields(Real)]
    assert dataclasses.is_dataclass(made)
    assert copy.deepcopy(made) == made
    assert pickle.loads(pickle.dumps(made)) == made  # noqa: S301 (our own bytes)
    assert Made("a").extra is not Made("a").extra  # a factory per instance


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        ((), {}, "missing required arguments: name"),
        (("a", 1, (), {}, None, "", "x"), {}, "takes 7 positional arguments but 8 were given"),
        (("a",), {"name": "b"}, "multiple values for argument 'name'"),
        (("a",), {"colour": "red"}, "unexpected keyword argument 'colour'"),
    ],
)
def test_a_wrong_call_is_a_type_error(
    args: tuple[Any, ...], kwargs: dict[str, Any], words: str
) -> None:
    with pytest.raises(TypeError, match=words):
        Made(*args, **kwargs)
    with pytest.raises(TypeError):
        Real(*args, **kwargs)


def test_what_a_record_does_not_take_is_refused_when_it_is_made() -> None:
    with pytest.raises(TypeError, match="plain ones"):

        @record
        class WithClassVar:
            """A class variable."""

            limit: ClassVar[int] = 3
            name: str = ""

    with pytest.raises(TypeError, match="plain ones"):

        @record
        class LeftOut:
            """A field out of ``__init__``."""

            name: str = field(default="", init=False)

    with pytest.raises(TypeError, match="__post_init__"):

        @record
        class Checked:
            """A check after ``__init__``."""

            name: str = ""

            def __post_init__(self) -> None:
                pass


def test_the_records_of_a_command_compile_no_method() -> None:
    # The point of a record (issue 16): its methods are this package's compiled code.
    from dutydesk.config import Settings
    from dutydesk.rules.deadlines import DeadlineRules
    from dutydesk.services.incidents.checks import NewEntry
    from dutydesk.services.incidents.intake import NewIncident

    for cls in (Settings, NewIncident, NewEntry, DeadlineRules):
        assert cls.__init__.__code__.co_filename.endswith("records.py")
