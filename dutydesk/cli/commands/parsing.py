"""Turning command-line and JSON input into service arguments, with one-line errors.

Every error names the field (and, for a JSON list, the item) and is an
:class:`~dutydesk.services.incidents.records.IncidentError`-like :class:`InputError` (exit code 2),
raised before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from dutydesk import vocab
from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.facts import CASUALTIES, PARSERS, FactError
from dutydesk.rules.typed_time import FUTURE_SLACK, Day, TypedTimeError, read_clock, read_time
from dutydesk.services.incidents.refusals import fact_refusal
from dutydesk.vocab import (
    CLASSIFICATION_ZH,
    URGENCY_ZH,
    Category,
    Channel,
    Classification,
    MatterKind,
    Severity,
    Urgency,
)

_E = TypeVar("_E", bound=StrEnum)

REGISTER_FIELDS = ("organ", "doc_no", "period", "copies", "copy_no", "signer")
"""Issue 13: a classified item's register (来文机关, 文号, ★保密期限, 份数, 份号, 签收人)."""

INTAKE_FIELDS = (
    "channel",
    "received_at",
    "reporter_name",
    "reporter_unit",
    "reporter_phone",
    "location",
    "category",
    "severity",
    "classification",
    "title",
    "summary",
    "kind",
    "occurred_at",
    "sensitive",
    "report_every_minutes",
    *CASUALTIES,
    *REGISTER_FIELDS,
)
"""Keys a JSON intake object may have (``received`` is accepted for ``received_at``,
``occurred`` for ``occurred_at``)."""

DEFAULTS = {
    "channel": Channel.PHONE.value,
    "category": Category.OTHER.value,
    "severity": Severity.UNASSESSED.value,
    "classification": Classification.INTERNAL.value,
}
"""Intake defaults (issue 3): a phone call, unassessed, internal; category other."""


class InputError(DutyDeskError):
    """A value typed or sent is not valid; nothing was written."""

    exit_code = 2


def choice(kind: type[_E], value: str, field: str) -> _E:
    """``value`` as a member of ``kind`` (by code, case-insensitive; or its Chinese name).

    A level may be typed 机密 etc., an urgency 特急, 加急 or 无.
    """
    for member in kind:
        if member.value.lower() == value.strip().lower():
            return member
        if value.strip() and value.strip() == _chinese_name(member):
            return member
    raise InputError(
        t("cli.error.not_one_of", field=field, value=repr(value), allowed=vocab.allowed(kind))
    )


def _chinese_name(member: StrEnum) -> str:
    """The Chinese name an officer may type for a level or an urgency ("" for the rest)."""
    if isinstance(member, Classification):
        return CLASSIFICATION_ZH[member]
    if isinstance(member, Urgency):
        return URGENCY_ZH.get(member, "无")
    return ""


def moment(
    value: str,
    field: str,
    *,
    tz: ZoneInfo,
    now: datetime,
    future: bool = False,
    day: Day = Day.START,
) -> datetime:
    """Parse a time typed by an officer, as the console's forms read it.

    The forms are those of :func:`dutydesk.rules.typed_time.read_time`: ``HH:MM`` (the
    latest such local time not after now, or with ``future`` the next one),
    ``YYYY-MM-DD HH:MM``, full-width ``１２：３０``, ISO 8601 (without offset: the office's
    zone), a date alone (the moment ``day`` says) and, with ``future``,
    ``+3d``/``+2h``/``+30m`` from now.

    Raises:
        InputError: naming the field and the forms accepted.

    """
    try:
        return read_time(value, now=now, tz=tz, future=future, day=day)
    except TypedTimeError:
        key = "cli.bad_due" if future else "cli.bad_time"
        raise InputError(f"{field}: {t(key, value=repr(value))}") from None


MEETING_GRACE = timedelta(minutes=30)
"""How long after a meeting began a bare ``HH:MM`` still means that meeting."""


def meeting_moment(value: str, *, tz: ZoneInfo, now: datetime) -> datetime:
    """The handover's ``--at``: a bare ``HH:MM`` is the next such moment, ISO as typed.

    At 01:44, ``08:30`` is this morning's meeting, not yesterday's (whose pack would be
    a stale "zero report"). A meeting that began less than :data:`MEETING_GRACE` ago is
    still this one: the pack is often made at the table.
    """
    try:
        read_clock(value)
    except TypedTimeError:
        return moment(value, "--at", tz=tz, now=now)
    return moment(value, "--at", tz=tz, now=now - MEETING_GRACE, future=True)


def intake_arguments(
    raw: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    now: datetime,
    where: str = "",
    register_only: bool = False,
) -> dict[str, Any]:
    """Check one intake (options or a JSON object) and return ``create_incident`` fields.

    Args:
        raw: field -> value; missing or ``None`` values take the defaults.
        tz: the office's zone, for times without offset.
        now: the moment of writing; a receipt time may not be later.
        where: prefix for error messages, e.g. ``"item 3: "``.
        register_only: register mode (issue 13): a classified item takes its register
            fields and no content at all.

    Raises:
        InputError: naming the field.

    """
    data = dict(raw)
    if "received" in data and "received_at" not in data:
        data["received_at"] = data.pop("received")
    if "occurred" in data and "occurred_at" not in data:
        data["occurred_at"] = data.pop("occurred")
    unknown = sorted(set(data) - set(INTAKE_FIELDS))
    if unknown:
        raise InputError(
            t(
                "cli.error.unknown_field",
                field=f"{where}{unknown[0]}",
                allowed=", ".join(INTAKE_FIELDS),
            )
        )
    for name, value in data.items():
        if value is not None and not isinstance(value, str):
            raise InputError(
                t("cli.error.not_text", field=f"{where}{name}", value=json.dumps(value))
            )
    summary = data.get("summary") or ""
    fields: dict[str, Any] = {"summary": summary}
    for name, kind in (
        ("channel", Channel),
        ("category", Category),
        ("severity", Severity),
        ("classification", Classification),
    ):
        fields[name] = choice(kind, data.get(name) or DEFAULTS[name], f"{where}{name}")
    if register_only and Classification(fields["classification"]).is_classified:
        return _register_arguments(data, fields, tz=tz, now=now, where=where)
    if not summary.strip():
        raise InputError(t("cli.error.no_summary", field=f"{where}summary"))
    received = data.get("received_at")
    fields["received_at"] = (
        moment(received, f"{where}received", tz=tz, now=now) if received else now
    )
    if fields["received_at"] > now + FUTURE_SLACK:
        raise InputError(t("cli.error.future", field=f"{where}received", value=repr(received)))
    title = data.get("title")
    from dutydesk.services.incidents.intake import default_title  # intake's module: writes only

    fields["title"] = title if title and title.strip() else default_title(summary)
    for name in ("reporter_name", "reporter_unit", "reporter_phone", "location"):
        fields[name] = data.get(name) or ""
    fields.update(_report_facts(data, tz=tz, now=now, where=where))
    return fields


def _whole(value: str | None, where: str) -> int | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not text.isdigit() or int(text) < 1:
        raise InputError(t("error.config.positive", name=where, value=repr(value)))
    return int(text)


def _register_arguments(
    data: Mapping[str, Any], fields: dict[str, Any], *, tz: ZoneInfo, now: datetime, where: str
) -> dict[str, Any]:
    """A classified item in register mode: its register, and no content (one line if any)."""
    from dutydesk.services.incidents.register import CONTENT_FIELDS, RegisterFields

    if any(str(data.get(name) or "").strip() for name in CONTENT_FIELDS):
        raise InputError(where + t("register.content_refused"))
    received = data.get("received_at")
    fields["received_at"] = (
        moment(received, f"{where}received", tz=tz, now=now) if received else now
    )
    if fields["received_at"] > now + FUTURE_SLACK:
        raise InputError(t("cli.error.future", field=f"{where}received", value=repr(received)))
    fields["title"] = ""
    fields["register"] = RegisterFields(
        organ=data.get("organ") or "",
        doc_no=data.get("doc_no") or "",
        period=data.get("period") or "",
        copies=_whole(data.get("copies"), f"{where}copies"),
        copy_no=_whole(data.get("copy_no"), f"{where}copy_no"),
        signer=data.get("signer") or "",
    )
    return fields


def _report_facts(
    data: Mapping[str, Any], *, tz: ZoneInfo, now: datetime, where: str
) -> dict[str, Any]:
    """Kind, 事发时间, sensitivity, cadence and casualties, as ``NewIncident`` takes them."""
    fields: dict[str, Any] = {}
    if data.get("kind"):
        fields["kind"] = choice(MatterKind, data["kind"], f"{where}kind")
    occurred = data.get("occurred_at")
    if occurred:
        fields["occurred_at"] = moment(occurred, f"{where}occurred", tz=tz, now=now)
    try:
        for name in ("sensitive", "report_every_minutes", *CASUALTIES):
            if data.get(name) not in (None, ""):
                fields[name] = PARSERS[name](f"{where}{name}", data[name])
    except FactError as error:
        raise InputError(fact_refusal(error)) from None
    return fields


JSON_DEPTH = 32
"""Deepest nesting of ``--json`` input taken: an intake is one flat object (in a list)."""


def read_json_intakes(text: str) -> list[Mapping[str, Any]]:
    """One JSON object or a list of them, as sent by a grassroots reporting system.

    Raises:
        InputError: not JSON, nested deeper than :data:`JSON_DEPTH` (Python's parser
            would run out of stack on a few hundred levels), not objects, or text that
            is not Unicode (a ``\\ud800`` escape: a lone surrogate cannot be stored).

    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(t("cli.error.bad_json", detail=exc.msg, line=exc.lineno)) from None
    except RecursionError:
        raise InputError(t("cli.fault.json_too_deep", limit=JSON_DEPTH)) from None
    if _depth_over(data, JSON_DEPTH):
        raise InputError(t("cli.fault.json_too_deep", limit=JSON_DEPTH))
    if has_surrogate(text) or has_surrogate(json.dumps(data, ensure_ascii=False)):
        raise InputError(t("cli.fault.not_utf8"))
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InputError(t("cli.error.json_empty"))
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            where = t("cli.error.item", index=index) if isinstance(data, list) else ""
            raise InputError(t("cli.error.json_not_object", where=where))
    return items


def _depth_over(data: Any, limit: int) -> bool:
    """True when ``data`` nests lists and objects deeper than ``limit`` (no recursion)."""
    level: list[Any] = [data]
    for _ in range(limit + 1):
        level = [
            child
            for item in level
            if isinstance(item, list | dict)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return True


def has_surrogate(text: str) -> bool:
    """True when ``text`` holds a lone surrogate (undecodable input bytes, or ``\\ud800``).

    Python keeps bytes that are not UTF-8 as such surrogates (``surrogateescape``); no
    store can take one, so the input is refused before anything is written.
    """
    return _SURROGATE.search(text) is not None


_SURROGATE = re.compile("[\ud800-\udfff]")
