"""Reading the demo data file: relative times resolved, every field checked.

The file (``data/demo/night.toml``) is written for people to edit, so every time in it is
relative to the moment of loading and every mistake is reported in one line with where it
is. pydantic models (frozen) check it and resolve its times; :mod:`dutydesk.services.demo.load`
writes them. Loading the demo is never on the start-up path, so pydantic's import is paid
only here (:mod:`dutydesk.rules.data_file`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo

from dutydesk.errors import DutyDeskError
from dutydesk.rules.data_file import Table, one_line
from dutydesk.vocab import Classification, Role

DEMO_FILE = Path(__file__).resolve().parents[2] / "data" / "demo" / "night.toml"
"""The demo night shipped with dutydesk."""

_OFFSET = re.compile(r"^([+-])(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_DAY_TIME = re.compile(r"^today(?:([+-]\d+))?\s+(\d{1,2}):(\d{2})$")


class DemoDataError(DutyDeskError):
    """The demo data file cannot be read or holds an invalid value."""


def resolve_time(spec: str, now: datetime, tz: ZoneInfo) -> datetime:
    """Turn a relative time of the demo file into an aware moment.

    ``"-5h40m"`` is 5 h 40 min before ``now``; ``"today+2 17:30"`` is 17:30 local time
    two days after the local day of ``now``.

    Raises:
        DemoDataError: ``spec`` is in neither form.

    """
    text = str(spec).strip()
    offset = _OFFSET.match(text)
    if offset and any(offset.group(i) for i in (2, 3, 4)):
        sign, days, hours, minutes = offset.groups()
        delta = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0))
        return now + delta if sign == "+" else now - delta
    day_time = _DAY_TIME.match(text)
    if day_time:
        shift, hour, minute = day_time.groups()
        day = now.astimezone(tz).date() + timedelta(days=int(shift or 0))
        return datetime.combine(day, time(int(hour), int(minute)), tz)
    raise DemoDataError(f'{spec!r} is not a relative time (e.g. "-5h40m" or "today+1 08:30")')


def _moment(value: object, info: ValidationInfo) -> datetime:
    # The models resolve while they check: the load moment comes in pydantic's context.
    if not isinstance(value, str):
        raise ValueError(f'{value} is not a relative time in quotes (e.g. "-5h40m")')
    context = info.context or {}
    try:
        return resolve_time(value, context["now"], context["tz"])
    except DemoDataError as exc:
        raise ValueError(str(exc)) from None


Moment = Annotated[datetime, BeforeValidator(_moment)]
"""A relative time of the file (``"-5h40m"``, ``"today+1 08:30"``) resolved to a moment."""


class PersonSpec(Table):
    """A person of the demo, with roles and clearance."""

    name: str
    title: str = ""
    unit: str = ""
    phone: str = ""
    clearance: Classification = Classification.INTERNAL
    roles: tuple[Role, ...] = ()
    pin: str = ""
    """A known demo PIN (printed by ``dutydesk demo``); empty: this person cannot sign in."""


class LeaveSpec(Table):
    """A leader's absence with the acting leader."""

    leader: str
    acting: str
    start_at: Moment = Field(alias="from")
    end_at: Moment = Field(alias="to")
    destination: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ShiftSpec:
    """One rostered shift: the names in position order (see the file's comments)."""

    shift_date: date
    kind: str
    names: tuple[str, ...]
    special_note: str | None


class EntrySpec(Table):
    """A timeline entry; ``actor``/``target`` may be ``@position`` references."""

    at: Moment
    kind: str
    actor: str = ""
    text: str = ""
    target: str = ""
    due_at: Moment | None = Field(default=None, alias="due")
    label: str = Field(default="", alias="id")
    """Named so that a feedback can say which instruction it ``answers``."""
    answers: str = ""
    copy_no: int | None = Field(default=None, alias="copy")
    """份号 of the copy a 呈批/传阅/清退/销毁 entry of a classified item moves."""
    signed_back_at: Moment | None = Field(default=None, alias="signed_back")
    """When that copy came back (relative like ``at``); ``None``: not yet."""
    signed_back_by: str = ""
    """Who signed it back (``@position`` allowed); blank: its holder."""


REGISTER_KEYS = ("organ", "doc_no", "period", "copies", "copy_no", "signer")
"""The register fields of an incident in the demo file (issue 13)."""


class IncidentSpec(Table):
    """An incident with its entries, in the order written."""

    received_at: Moment = Field(alias="received")
    received_by: str = "@duty_officer"
    channel: str = ""
    category: str = ""
    severity: str = ""
    classification: str = ""
    title: str = ""
    summary: str = ""
    reporter_name: str = ""
    reporter_unit: str = ""
    reporter_phone: str = ""
    location: str = ""
    kind: str = ""
    """emergency, request or document; blank: as the category or channel starts it."""
    occurred_at: Moment | None = Field(default=None, alias="occurred")
    """事发时间, relative like ``received``."""
    sensitive: bool = False
    deaths: int | None = None
    injured: int | None = None
    missing: int | None = None
    trapped: int | None = None
    readers: tuple[str, ...] = ()
    """知悉范围 of a classified item: persons, units, or ``@position`` at its receipt."""
    entries: tuple[EntrySpec, ...] = Field(default=(), alias="entry")
    # Issue 13: a classified item is its register (来文机关, 文号, ★期限, 份数/份号, 签收人).
    organ: str = ""
    doc_no: str = ""
    period: str = ""
    copies: int | None = None
    copy_no: int | None = None
    signer: str = ""
    """签收人 (``@position`` allowed, resolved at receipt)."""

    @property
    def fields(self) -> dict[str, str]:
        """The incident's own fields, as :func:`create_incident` takes them."""
        return self.model_dump(
            exclude={"received_at", "received_by", "entries", "readers", *REGISTER_KEYS}
        )

    @property
    def has_register(self) -> bool:
        """True when the file gives this item a register."""
        return any(getattr(self, name) not in ("", None) for name in REGISTER_KEYS)


class _Period(Table):
    start: int = Field(alias="from")
    """Days from the load day, as the roster's keys."""
    end: int = Field(alias="to")
    note: str = ""


Names = Annotated[tuple[str, ...], Field(min_length=1)]


class _Roster(Table):
    day: dict[int, Names] = Field(default_factory=dict)
    """Days from the load day -> the names in position order."""
    night: dict[int, Names] = Field(default_factory=dict)


class _DemoFile(Table):
    city: str = ""
    office: str = ""
    person: tuple[PersonSpec, ...] = ()
    leave: tuple[LeaveSpec, ...] = ()
    special_period: tuple[_Period, ...] = ()
    roster: _Roster = _Roster()
    incident: tuple[IncidentSpec, ...] = ()


@dataclass(frozen=True)
class DemoData:
    """The whole demo file, resolved against one moment."""

    source: Path
    city: str
    people: tuple[PersonSpec, ...]
    leave: tuple[LeaveSpec, ...]
    shifts: tuple[ShiftSpec, ...]
    incidents: tuple[IncidentSpec, ...]


def _shifts(raw: _DemoFile, today: date) -> tuple[ShiftSpec, ...]:
    special = {
        offset: period.note
        for period in raw.special_period
        for offset in range(period.start, period.end + 1)
    }
    shifts = [
        ShiftSpec(today + timedelta(days=offset), kind, names, special.get(offset))
        for kind, table in (("day", raw.roster.day), ("night", raw.roster.night))
        for offset, names in table.items()
    ]
    return tuple(sorted(shifts, key=lambda shift: (shift.shift_date, shift.kind)))


def read_demo(now: datetime, tz: ZoneInfo, path: Path = DEMO_FILE) -> DemoData:
    """Read and resolve the demo file against the load moment ``now``.

    Raises:
        DemoDataError: the file cannot be read, is not TOML, or holds a bad value; one
            line naming the file and the field (``incident[3].entry[2].at``).

    """
    try:
        with path.open("rb") as handle:
            raw = _DemoFile.model_validate(tomllib.load(handle), context={"now": now, "tz": tz})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DemoDataError(f"demo data {path}: {exc}") from None
    except ValidationError as exc:
        raise DemoDataError(f"demo data {path}: {one_line(exc)}") from None
    today = now.astimezone(tz).date()
    return DemoData(path, raw.city, raw.person, raw.leave, _shifts(raw, today), raw.incident)
