"""Reading the demo data file: relative times resolved, every field checked.

The file (``data/demo/night.toml``) is written for people to edit, so every time in it is
relative to the moment of loading and every mistake is reported with where it is. This
module turns it into plain frozen dataclasses; :mod:`dutydesk.services.demo.load` writes them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dutydesk.errors import DutyDeskError

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


@dataclass(frozen=True)
class PersonSpec:
    """A person of the demo, with roles and clearance as written."""

    name: str
    title: str
    unit: str
    phone: str
    clearance: str
    roles: tuple[str, ...]
    pin: str = ""
    """A known demo PIN (printed by ``dutydesk demo``); empty: this person cannot sign in."""


@dataclass(frozen=True)
class LeaveSpec:
    """A leader's absence with the acting leader."""

    leader: str
    acting: str
    start_at: datetime
    end_at: datetime
    destination: str
    reason: str


@dataclass(frozen=True)
class ShiftSpec:
    """One rostered shift: the names in position order (see the file's comments)."""

    shift_date: date
    kind: str
    names: tuple[str, ...]
    special_note: str | None


@dataclass(frozen=True)
class EntrySpec:
    """A timeline entry; ``actor``/``target`` may be ``@position`` references."""

    at: datetime
    kind: str
    actor: str
    text: str
    target: str
    due_at: datetime | None
    label: str
    answers: str


@dataclass(frozen=True)
class IncidentSpec:
    """An incident with its entries, in the order written."""

    received_at: datetime
    fields: dict[str, str]
    received_by: str
    entries: tuple[EntrySpec, ...]


@dataclass(frozen=True)
class DemoData:
    """The whole demo file, resolved against one moment."""

    source: Path
    city: str
    people: tuple[PersonSpec, ...]
    leave: tuple[LeaveSpec, ...]
    shifts: tuple[ShiftSpec, ...]
    incidents: tuple[IncidentSpec, ...]


_INCIDENT_FIELDS = (
    "channel",
    "category",
    "severity",
    "classification",
    "title",
    "summary",
    "reporter_name",
    "reporter_unit",
    "reporter_phone",
    "location",
)


def _text(table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise DemoDataError(f"{where}: {key} is missing or not text")
    return value


def _entry(raw: dict[str, Any], where: str, now: datetime, tz: ZoneInfo) -> EntrySpec:
    due = raw.get("due")
    return EntrySpec(
        at=resolve_time(_text(raw, "at", where), now, tz),
        kind=_text(raw, "kind", where),
        actor=_text(raw, "actor", where, ""),
        text=_text(raw, "text", where, ""),
        target=_text(raw, "target", where, ""),
        due_at=resolve_time(due, now, tz) if due is not None else None,
        label=_text(raw, "id", where, ""),
        answers=_text(raw, "answers", where, ""),
    )


def _incident(raw: dict[str, Any], where: str, now: datetime, tz: ZoneInfo) -> IncidentSpec:
    fields = {key: _text(raw, key, where, "") for key in _INCIDENT_FIELDS}
    entries = tuple(
        _entry(entry, f"{where}, entry {number}", now, tz)
        for number, entry in enumerate(raw.get("entry", []), start=1)
    )
    return IncidentSpec(
        received_at=resolve_time(_text(raw, "received", where), now, tz),
        fields=fields,
        received_by=_text(raw, "received_by", where, "@duty_officer"),
        entries=entries,
    )


def _shifts(raw: dict[str, Any], now: datetime, tz: ZoneInfo) -> list[ShiftSpec]:
    today = now.astimezone(tz).date()
    special: dict[int, str] = {}
    for period in raw.get("special_period", []):
        for offset in range(int(period["from"]), int(period["to"]) + 1):
            special[offset] = _text(period, "note", "special_period", "")
    shifts = []
    for kind in ("day", "night"):
        for offset, names in raw.get("roster", {}).get(kind, {}).items():
            if not isinstance(names, list) or not names:
                raise DemoDataError(f"roster.{kind}.{offset}: expected a list of names")
            shifts.append(
                ShiftSpec(
                    shift_date=today + timedelta(days=int(offset)),
                    kind=kind,
                    names=tuple(str(name) for name in names),
                    special_note=special.get(int(offset)),
                )
            )
    return sorted(shifts, key=lambda shift: (shift.shift_date, shift.kind))


def read_demo(now: datetime, tz: ZoneInfo, path: Path = DEMO_FILE) -> DemoData:
    """Read and resolve the demo file against the load moment ``now``.

    Raises:
        DemoDataError: the file cannot be read, is not TOML, or holds a bad value.

    """
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DemoDataError(f"demo data {path}: {exc}") from None
    try:
        people = tuple(
            PersonSpec(
                name=_text(p, "name", f"person {n}"),
                title=_text(p, "title", f"person {n}", ""),
                unit=_text(p, "unit", f"person {n}", ""),
                phone=_text(p, "phone", f"person {n}", ""),
                clearance=_text(p, "clearance", f"person {n}", "internal"),
                roles=tuple(p.get("roles", ())),
                pin=_text(p, "pin", f"person {n}", ""),
            )
            for n, p in enumerate(raw.get("person", []), start=1)
        )
        leave = tuple(
            LeaveSpec(
                leader=_text(item, "leader", f"leave {n}"),
                acting=_text(item, "acting", f"leave {n}"),
                start_at=resolve_time(_text(item, "from", f"leave {n}"), now, tz),
                end_at=resolve_time(_text(item, "to", f"leave {n}"), now, tz),
                destination=_text(item, "destination", f"leave {n}", ""),
                reason=_text(item, "reason", f"leave {n}", ""),
            )
            for n, item in enumerate(raw.get("leave", []), start=1)
        )
        incidents = tuple(
            _incident(item, f"incident {n}", now, tz)
            for n, item in enumerate(raw.get("incident", []), start=1)
        )
        shifts = tuple(_shifts(raw, now, tz))
    except (KeyError, TypeError, ValueError) as exc:
        raise DemoDataError(f"demo data {path}: {exc}") from None
    return DemoData(path, str(raw.get("city", "")), people, leave, shifts, incidents)
