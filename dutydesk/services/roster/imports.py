"""Importing a roster from CSV (``dutydesk roster import FILE.csv``): all or nothing.

One line per seat: ``date, shift, position, name`` (a header line with those names, or
日期, 班次, 岗位, 姓名, is optional and may order the columns). Shifts are ``day``/``night``
or 白班/夜班; positions their code (``duty_officer``) or Chinese name (值班员). Every line is
checked before anything is written; the error names the line and the field. A seat named
in the file replaces whoever held that position on that shift.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from dutydesk import vocab
from dutydesk.config import Settings
from dutydesk.i18n import code_name, t
from dutydesk.rules.rotation import Seat, check
from dutydesk.services.roster.shifts import ROLE_FOR, RosterError, ensure_shift, person_ids
from dutydesk.services.roster.words import problem_text
from dutydesk.storage.engine import Database
from dutydesk.vocab import Position, ShiftKind

_COLUMNS = ("date", "shift", "position", "name")
_HEADERS = {
    "date": "date",
    "日期": "date",
    "shift": "shift",
    "kind": "shift",
    "班次": "shift",
    "position": "position",
    "岗位": "position",
    "name": "name",
    "person": "name",
    "姓名": "name",
}
_KINDS = {
    "day": ShiftKind.DAY,
    "白班": ShiftKind.DAY,
    "night": ShiftKind.NIGHT,
    "夜班": ShiftKind.NIGHT,
}
_POSITIONS: dict[str, Position] = {
    **{p.value: p for p in Position},
    **{p.value.replace("_", " "): p for p in Position},
    "带班领导": Position.DUTY_LEADER,
    "值班员": Position.DUTY_OFFICER,
    "信息员": Position.INFORMATION_OFFICER,
    "机要员": Position.CONFIDENTIAL_OFFICER,
}


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote, and rest rules the imported roster breaks (warnings)."""

    seats: int
    shifts: int
    warnings: tuple[str, ...]


def parse_csv(text: str, people: dict[str, set[str]]) -> list[Seat]:
    """Check every line of a roster CSV and return its seats.

    Args:
        text: the file's content (a UTF-8 BOM from Excel/WPS is ignored).
        people: name -> roles of everyone in the store.

    Raises:
        RosterError: naming the first bad line and field, and how many more there are.

    """
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    order = list(_COLUMNS)
    start = 0
    if rows and rows[0] and rows[0][0].strip().lower() in _HEADERS:
        names = [_HEADERS.get(cell.strip().lower(), "") for cell in rows[0]]
        missing = [column for column in _COLUMNS if column not in names]
        if missing:
            raise RosterError(t("error.import.no_column", column=repr(missing[0])))
        order, start = names, 1
    seats: list[Seat] = []
    errors: list[str] = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue
        try:
            seats.append(
                _seat(number, dict(zip(order, (c.strip() for c in row), strict=False)), people)
            )
        except RosterError as exc:
            errors.append(str(exc))
    if not errors:
        errors = [problem_text(problem) for problem in check(seats)]
    if errors:
        more = t("error.import.more", count=len(errors) - 1) if len(errors) > 1 else ""
        raise RosterError(t("error.import.refused", problem=errors[0], more=more))
    if not seats:
        raise RosterError(t("error.import.empty"))
    return list(dict.fromkeys(seats))  # a line given twice is one seat


def _seat(number: int, cells: dict[str, str], people: dict[str, set[str]]) -> Seat:
    where = t("error.import.line", number=number)
    for column in _COLUMNS:
        if not cells.get(column):
            raise RosterError(t("error.import.missing", where=where, column=column))
    try:
        day = date.fromisoformat(cells["date"])
    except ValueError:
        raise RosterError(t("error.import.date", where=where, value=repr(cells["date"]))) from None
    kind = _KINDS.get(cells["shift"].lower())
    if kind is None:
        raise RosterError(t("error.import.shift", where=where, value=repr(cells["shift"])))
    position = _POSITIONS.get(cells["position"].lower())
    if position is None:
        raise RosterError(
            t(
                "error.import.position",
                where=where,
                value=repr(cells["position"]),
                allowed=vocab.allowed(Position),
            )
        )
    name = cells["name"]
    if name not in people:
        raise RosterError(t("error.import.nobody", where=where, name=repr(name)))
    if ROLE_FOR[position].value not in people[name]:
        raise RosterError(
            t("error.import.no_role", where=where, name=name, role=code_name(position))
        )
    return Seat(day, kind, position, name)


def import_roster(
    db: Database, text: str, *, actor: str, now: datetime, settings: Settings
) -> ImportReport:
    """Check the CSV ``text`` whole, then write it in one transaction.

    Raises:
        RosterError: a line is wrong; nothing was written.

    """
    from sqlmodel import col, select

    from dutydesk.services.accounts.audit import record
    from dutydesk.services.roster.shifts import shift_views
    from dutydesk.storage.models import Assignment

    people: dict[str, set[str]] = {}
    for name, role in db.read(
        "SELECT p.name, r.role FROM person p LEFT JOIN person_role r ON r.person_id = p.id"
    ):
        people.setdefault(str(name), set()).add(str(role or ""))
    seats = parse_csv(text, people)
    days = sorted({seat.shift_date for seat in seats})
    named = {(s.shift_date, s.kind, s.position) for s in seats}
    kept = [
        Seat(v.slot.shift_date, v.slot.kind, h.position, h.name)
        for v in shift_views(db, days[0], days[-1], settings)
        for h in v.holders
        if (v.slot.shift_date, v.slot.kind, h.position) not in named
    ]
    warnings = tuple(problem_text(problem) for problem in check([*kept, *seats]))
    with db.session() as session:
        ids = person_ids(session)
        shifts: set[int] = set()
        for day, kind, position in sorted(named):
            shift = ensure_shift(session, day, kind, settings)
            assert shift.id is not None
            shifts.add(shift.id)
            # One by one rather than a bulk DELETE: each removal is a state fact on the
            # chain (services.integrity.state_facts), which a bulk statement would skip.
            for gone in session.exec(
                select(Assignment).where(
                    col(Assignment.shift_id) == shift.id, col(Assignment.position) == position
                )
            ).all():
                session.delete(gone)
        session.flush()
        for seat in seats:
            shift = ensure_shift(session, seat.shift_date, seat.kind, settings)
            assert shift.id is not None
            session.add(
                Assignment(shift_id=shift.id, position=seat.position, person_id=ids[seat.name])
            )
        record(
            session=session,
            actor=actor,
            action="roster.import",
            object_type="shift",
            object_id=f"{days[0]}..{days[-1]}",
            detail=f"imported {len(seats)} seats on {len(shifts)} shifts",
            now=now,
        )
    return ImportReport(len(seats), len(shifts), warnings)


__all__ = ["ImportReport", "import_roster", "parse_csv"]
