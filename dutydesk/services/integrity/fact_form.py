"""A state fact's form, without the ORM: what a row's values become in a fact's ``detail``.

:mod:`.state_facts` chains a fact for every watched row an ORM flush writes; the CLI's
plain-SQL write path (:mod:`dutydesk.services.incidents.plain_write`, issue 16) chains the
same facts for the incidents it writes. Both build them here, so a fact is one form
whichever path wrote the row. Nothing here imports SQLAlchemy or SQLModel.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from dutydesk.clock import Clock
from dutydesk.rules.chain import compact_json, hashed_form
from dutydesk.services.integrity import head_key
from dutydesk.storage.engine import as_utc

TIME, BOOL, DATE, NUMBER, PLAIN, TEXT = range(6)
"""How a column's value becomes a fact's (``PLAIN``: kept as it is; ``TEXT``: digested;
``NUMBER``: a number that is content, digested)."""

UNKEYED = "?"
"""A text's digest when there is no head key: not compared."""

KEY_FIELD = "_key"
"""The fact's field naming the head key of its digests (:func:`head_key.key_id`): a desk
whose key file was replaced cannot compare older digests, and says so rather than
reporting every text as changed."""

INCIDENT_KINDS: dict[str, int] = {
    "id": TEXT,
    "serial": PLAIN,
    "serial_date": DATE,
    "serial_no": TEXT,
    "received_at": TIME,
    "channel": PLAIN,
    "reporter_name": TEXT,
    "reporter_unit": TEXT,
    "reporter_phone": TEXT,
    "location": TEXT,
    "category": PLAIN,
    "severity": PLAIN,
    "severity_rank": TEXT,
    "title": TEXT,
    "summary": TEXT,
    "classification": PLAIN,
    "status": PLAIN,
    "is_open": BOOL,
    "due_at": TIME,
    "due_step": PLAIN,
    "assigned_leader": TEXT,
    "assigned_department": TEXT,
    "created_by_id": TEXT,
    "created_at": TIME,
    "drill_run_id": TEXT,
    "matter_kind": PLAIN,
    "occurred_at": TIME,
    "sensitive": BOOL,
    "report_every_minutes": TEXT,
    "deaths": NUMBER,
    "injured": NUMBER,
    "missing": NUMBER,
    "trapped": NUMBER,
}
"""The columns of an incident's fact and their kinds, as :func:`.state_facts.kind_of` works
them out from the model (a test holds the two equal); numbers under ``TEXT`` stay numbers."""

FACT_CLOCK: Clock = Clock()
"""When a fact is chained (its ``occurred_at``): the real clock; a test stops it to compare
two stores written at one moment."""


def fact_moment() -> datetime:
    """The ``occurred_at`` of a fact chained now."""
    return FACT_CLOCK.now()


def utc_text(value: Any) -> str:
    """A time as a fact holds it: ``2026-11-26T08:00:00.000000Z``."""
    if isinstance(value, str) and len(value) == 26 and value[10] == " " and value[19] == ".":
        # SQLite's stored form of a UTC time: the same digits, no datetime (verify reads
        # every time of every watched row)
        return f"{value[:10]}T{value[11:]}Z"
    moment = as_utc(value)
    assert moment is not None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normal_by_kind(table: str, name: str, kind: int, value: Any, key: bytes | None) -> Any:
    """One column's value (of ``kind``) as a fact holds it; the same from any read."""
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    if kind == TIME:
        return utc_text(value)
    if kind == BOOL:
        return int(bool(value))
    if kind == DATE:  # SQLite hands a date back as its ISO text
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if kind == NUMBER:
        value = str(value)
    elif not isinstance(value, str):
        return value
    if kind == PLAIN:
        return value
    if key is None:
        return UNKEYED
    return head_key.digest(key, f"{table}.{name}", hashed_form(value))


def incident_fact(values: dict[str, Any], key: bytes | None) -> str:
    """The ``detail`` of an incident's fact from its column values (compact JSON)."""
    document = {
        name: normal_by_kind("incident", name, kind, values.get(name), key)
        for name, kind in INCIDENT_KINDS.items()
    }
    document[KEY_FIELD] = head_key.key_id(key)
    return compact_json(document)
