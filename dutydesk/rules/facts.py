"""The report elements that are not text (报告要素): typed, checked, and written as text.

An emergency's report names when it happened (事发时间) and the casualties (死亡, 受伤,
失联, 被困); an item may be flagged sensitive (敏感, "不拘泥于分级标准": on grade I's clock
whatever its grade); an instruction or the officer may set how often continued reports
are due (每小时 = 60 minutes). These are typed at intake or edited later, in the console
and the CLI alike; each value has one parser here and one canonical text, which is what
a ``field_change`` entry records ("deaths: "3" → "4"").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

CASUALTIES: tuple[str, ...] = ("deaths", "injured", "missing", "trapped")
"""死亡, 受伤, 失联, 被困: the figures a report carries, latest first."""

CASUALTY_ZH: dict[str, str] = {
    "deaths": "死亡",
    "injured": "受伤",
    "missing": "失联",
    "trapped": "被困",
}

_YES = {"true", "yes", "y", "1", "是", "敏感"}
_NO = {"false", "no", "n", "0", "否", ""}


class FactError(ValueError):
    """A value that is not what the field takes; the message names the field.

    Rules speak no language of their own: besides the English message, the error
    carries ``problem`` (the catalogue key under ``error.fact.``), ``field`` and the
    ``value`` as typed, so a service says it in the reader's language.
    """

    def __init__(self, message: str, problem: str, field: str, value: object = None) -> None:
        super().__init__(message)
        self.problem, self.field, self.value = problem, field, value


def parse_count(name: str, value: object) -> int | None:
    """A casualty figure: a whole number of 0 or more, or blank for "not known"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise FactError(
            f"{name}: expected a whole number, got {value!r}", "not_a_number", name, value
        ) from None
    if number < 0:
        raise FactError(f"{name}: cannot be negative", "negative", name)
    return number


def parse_flag(name: str, value: object) -> bool:
    """A yes/no flag: true/false, yes/no, 是/否."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise FactError(f"{name}: expected yes or no, got {value!r}", "not_a_flag", name, value)


def parse_minutes(name: str, value: object) -> int | None:
    """A report cadence in minutes (60 = hourly), or blank for none."""
    number = parse_count(name, value)
    if number == 0:
        raise FactError(f"{name}: must be more than 0 minutes (blank for none)", "zero", name)
    return number


def parse_moment(name: str, value: object) -> datetime | None:
    """An aware moment (ISO text or a datetime), or blank for "not known"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise FactError(
                f"{name}: expected a date and time, got {value!r}", "not_a_moment", name, value
            ) from None
    if moment.tzinfo is None:
        raise FactError(f"{name}: give the time with its zone", "no_zone", name)
    return moment


PARSERS: dict[str, Callable[[str, object], Any]] = {
    "occurred_at": parse_moment,
    "sensitive": parse_flag,
    "report_every_minutes": parse_minutes,
    **dict.fromkeys(CASUALTIES, parse_count),
}
"""Each typed field's parser."""


def as_text(value: object) -> str:
    """The canonical text of a typed value, as a ``field_change`` entry records it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def casualty_line(row: Any) -> str:
    """``死亡3人、受伤2人``: the known figures of ``row``, in the order reports give them.

    ``row`` is anything with ``deaths``, ``injured``, ``missing`` and ``trapped``.
    """
    figures = [(name, getattr(row, name)) for name in CASUALTIES]
    return "、".join(f"{CASUALTY_ZH[name]}{value}人" for name, value in figures if value)


def occurred_stated(row: Any) -> bool:
    """Whether ``row`` may go into a written report as far as 事发时间 goes.

    An emergency's written report must say when it happened; a request or a document
    has no such element. ``row`` is anything with ``matter_kind`` and ``occurred_at``.
    """
    kind = getattr(row, "matter_kind", "emergency")
    return getattr(kind, "value", kind) != "emergency" or row.occurred_at is not None


__all__ = [
    "CASUALTIES",
    "PARSERS",
    "FactError",
    "as_text",
    "casualty_line",
    "occurred_stated",
    "parse_count",
    "parse_flag",
    "parse_minutes",
    "parse_moment",
]
