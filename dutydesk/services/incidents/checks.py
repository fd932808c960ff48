"""What an incident write checks and stores, without the ORM: shared by both write paths.

The ORM path (:mod:`.incident`, :mod:`.followup`, :mod:`.records`) and the CLI's plain-SQL
path (:mod:`.plain_write`, issue 16) both call these, so that the checks, the values of a
new row and its clock are decided once. Nothing here imports SQLAlchemy or SQLModel: the
plain path must not pay 1.5 s of imports for them.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from dutydesk import vocab
from dutydesk.errors import DutyDeskError
from dutydesk.i18n import field_caption, t
from dutydesk.records import record
from dutydesk.rules.deadlines import DueStep, EntryFact, clock_terms, duty_date, next_due
from dutydesk.rules.facts import PARSERS, FactError
from dutydesk.rules.workflow import Refusal, is_open
from dutydesk.services.incidents.refusals import fact_refusal
from dutydesk.services.limits import refuse_too_long
from dutydesk.vocab import (
    Category,
    Channel,
    Classification,
    EntryKind,
    MatterKind,
    Severity,
    Status,
)

if TYPE_CHECKING:
    from dutydesk.rules.deadlines import DeadlineRules
    from dutydesk.services.incidents.intake import NewIncident
    from dutydesk.services.request import Request

_E = TypeVar("_E", bound=StrEnum)


class IncidentError(DutyDeskError):
    """An incident or timeline entry cannot be written as given."""

    exit_code = 2


class EntryRefused(IncidentError):
    """The entry makes no sense for the incident now; the message says what to do instead."""

    def __init__(self, message: str, refusal: Refusal) -> None:
        super().__init__(message)
        self.refusal = refusal


class ContentRefused(IncidentError):
    """Content typed into a classified item on a non-classified computer."""


CONTENT_FIELDS = (
    "title",
    "summary",
    "location",
    "reporter_name",
    "reporter_unit",
    "reporter_phone",
)
"""An incident's content columns: none may hold text of a classified item in register mode."""


def refuse_content(req: Request, level: Classification | str, texts: dict[str, str | None]) -> None:
    """Refuse content for a classified item in register mode; nothing for other items.

    Raises:
        ContentRefused: ``req`` is in register mode, ``level`` is classified and one of
            ``texts`` is not blank; the message says where the content goes instead.

    """
    if not req.register_only or not Classification(level).is_classified:
        return
    if any(value is not None and value.strip() for value in texts.values()):
        raise ContentRefused(t("register.content_refused"))


def enum_value(kind: type[_E], value: _E | str, field: str) -> _E:
    """``value`` as a member of ``kind``; the error names the field and what is allowed.

    Raises:
        IncidentError: ``value`` is not a member's value.

    """
    found = vocab.parse(kind, value)
    if found is None:
        raise IncidentError(
            t(
                "error.incident.not_one_of",
                field=field_caption(field),
                value=repr(value),
                allowed=vocab.allowed(kind),
            )
        )
    return found


def require_aware(*moments: tuple[str, datetime | None]) -> None:
    """Refuse naive times, naming the field: stored times must carry a timezone.

    Raises:
        IncidentError: one of the (field, moment) pairs is naive.

    """
    for field, moment in moments:
        if moment is not None and moment.tzinfo is None:
            raise IncidentError(f"{field}: a time without timezone cannot be stored")


def report_facts(report: NewIncident, received_at: datetime) -> dict[str, Any]:
    """The typed report elements of ``report``, checked (事发时间 not after 接报).

    Raises:
        IncidentError: a value is not what its field takes.

    """
    try:
        facts = {name: parser(name, getattr(report, name)) for name, parser in PARSERS.items()}
    except FactError as error:
        raise IncidentError(fact_refusal(error)) from None
    occurred = facts["occurred_at"]
    if occurred is not None and occurred > received_at:
        raise IncidentError(t("error.incident.occurred_after"))
    return facts


class CheckedIntake(NamedTuple):
    """A new incident's report, checked: what its row is made from once it has a serial."""

    level: Classification
    grade: Severity
    facts: dict[str, Any]
    """The typed report elements (:func:`report_facts`)."""
    day: date
    """The local day whose serials it is numbered in."""
    registered_only: bool
    """A classified item in register mode: its register, no content."""


def check_intake(req: Request, report: NewIncident) -> CheckedIntake:
    """Check ``report`` before anything is written; the values its row is made from.

    Raises:
        IncidentError: a value is not valid (blank summary, unknown code, naive time,
            content of a classified item in register mode, a field too long).

    """
    require_aware(("received_at", report.received_at), ("now", req.now))
    level = enum_value(Classification, report.classification, "classification")
    # Register mode (issue 13): a classified item is its register; content is refused.
    refuse_content(
        req,
        level,
        {name: getattr(report, name) for name in CONTENT_FIELDS}
        | {"received_text": report.received_text},
    )
    refuse_too_long(req.limits, {f.name: getattr(report, f.name) for f in fields(report)})
    registered_only = level.is_classified and req.register_only
    if not report.summary.strip() and not registered_only:
        raise IncidentError(t("error.incident.no_summary"))
    grade = enum_value(Severity, report.severity, "severity")
    facts = report_facts(report, report.received_at)
    day = report.received_at.astimezone(req.tz).date()
    return CheckedIntake(level, grade, facts, day, registered_only)


def incident_values(
    req: Request, report: NewIncident, checked: CheckedIntake, serial: str, number: int
) -> dict[str, Any]:
    """Every column of the new incident's row but ``id``, as first written.

    A classified item's content is blank here: it is sealed once the row has its id
    (the record name binding the ciphertext needs it). The clock (``due_at``,
    ``due_step``) is set after the ``received`` entry is written (:func:`clock_of`).
    """
    secret = checked.level.is_classified
    channel = enum_value(Channel, report.channel, "channel")
    # The kind of matter as given, else as its category or channel starts it
    # (data/rules.toml [kind_by_category], [kind_by_channel]).
    matter_kind = (
        enum_value(MatterKind, report.kind, "kind")
        if report.kind
        else req.rules.kind_for(channel, enum_value(Category, report.category, "category"))
    )
    category = enum_value(Category, report.category, "category")
    facts = checked.facts
    return {
        "serial": serial,
        "serial_date": checked.day,
        "serial_no": number,
        "received_at": report.received_at,
        "channel": channel,
        "reporter_name": "" if secret else report.reporter_name,
        "reporter_unit": "" if secret else report.reporter_unit,
        "reporter_phone": "" if secret else report.reporter_phone,
        "location": "" if secret else report.location,
        "category": category,
        "severity": checked.grade,
        "severity_rank": checked.grade.rank,
        "title": "" if secret else report.title,
        "summary": "" if secret else report.summary,
        "classification": checked.level,
        "status": Status.RECEIVED,
        "is_open": True,
        "due_at": None,
        "due_step": None,
        "assigned_leader": "",
        "assigned_department": "",
        "created_by_id": req.actor_id,
        "created_at": req.now,
        "updated_at": req.now,
        "version": 1,
        "drill_run_id": None,
        "matter_kind": matter_kind,
        "occurred_at": facts["occurred_at"],
        "sensitive": facts["sensitive"],
        "report_every_minutes": facts["report_every_minutes"],
        "deaths": facts["deaths"],
        "injured": facts["injured"],
        "missing": facts["missing"],
        "trapped": facts["trapped"],
    }


@record
class NewEntry:
    """One step to append to an incident's timeline, as the operator gives it."""

    kind: EntryKind | str
    """What kind of step this is."""
    occurred_at: datetime
    """When it happened (aware; not before the receipt)."""
    text: str = ""
    """The text, stored exactly as given (instructions verbatim)."""
    target: str = ""
    """To whom (leader reported to, department assigned, instructing leader)."""
    due_at: datetime | None = None
    """Feedback due on an instruction or assignment (not before ``occurred_at``)."""
    refers_to_id: int | None = None
    """The entry a correction corrects or a feedback answers."""
    expected_version: int | None = None
    """The incident version the caller saw; ``None`` skips the check."""


def entry_fact(kind: str, occurred_at: datetime, due_at: datetime | None, entry_id: int | None,
               refers_to_id: int | None) -> EntryFact:  # fmt: skip
    """One timeline entry as the deadline rules read it."""
    return EntryFact(
        kind=EntryKind(kind),
        occurred_at=occurred_at,
        due_at=due_at,
        entry_id=entry_id,
        refers_to_id=refers_to_id,
    )


SPECIAL_QUERY = "SELECT 1 FROM shift WHERE shift_date = :day AND special_period LIMIT 1"
"""Whether the roster marked a 值班日 special (特殊时期)."""


def special_day(moment: datetime, rules: DeadlineRules) -> dict[str, date]:
    """The parameters of :data:`SPECIAL_QUERY` for the 值班日 holding ``moment``."""
    return {"day": duty_date(moment, rules)}


def due_step(
    incident: Any, facts: list[EntryFact], rules: DeadlineRules, special: timedelta | None
) -> DueStep | None:
    """The step due soonest for ``incident`` (an ``Incident`` or a row) with these ``facts``.

    Raises ``ValueError`` for a stored value today's vocabulary does not know.
    """
    return next_due(
        rules,
        Severity(incident.severity),
        incident.received_at,
        facts,
        is_open=incident.is_open,
        **clock_terms(incident, special=special),
    )


def clock_of(
    status: Status | str, step: DueStep | None
) -> tuple[datetime | None, str | None, bool]:
    """``(due_at, due_step, is_open)`` of an incident in ``status`` whose next step is ``step``."""
    # An instruction is followed to 报结 after the matter closes: the incident stays in
    # the live queue (status closed, next step feedback or report back) until then.
    still_open = is_open(status) or step is not None
    return (step.due_at if step else None, step.step if step else None, still_open)


def check_entry(req: Request, incident: Any, entry: NewEntry) -> None:
    """What an entry's own values must be: lengths, register mode, times in order.

    ``incident`` is an ``Incident`` or a row with its columns. The version is checked
    between the two (by the ORM path's ``check_version``).

    Raises:
        IncidentError: a field is too long, content of a classified item in register
            mode, or a time is out of order.

    """
    refuse_too_long(req.limits, {"text": entry.text, "target": entry.target})
    refuse_content(req, incident.classification, {"text": entry.text})  # register mode, issue 13


def check_entry_times(incident: Any, entry: NewEntry) -> None:
    """An entry happens after the receipt; its feedback is due after it.

    Raises:
        IncidentError: a time is out of order.

    """
    if entry.occurred_at < incident.received_at:
        raise IncidentError(t("error.incident.entry_before_received", serial=incident.serial))
    if entry.due_at is not None and entry.due_at < entry.occurred_at:
        raise IncidentError(t("error.incident.due_before_entry", serial=incident.serial))


def checked_entry(
    req: Request,
    incident: Any,
    entry: NewEntry,
    kind: EntryKind,
    history: list[EntryKind | str],
    referred: tuple[str, int] | None,
) -> NewEntry:
    """``entry`` as it is written, when it fits the incident now (:func:`refusal`).

    ``history`` holds the kinds on the timeline; ``referred`` the kind and number of
    the entry it refers to. A leader instruction without its own ``due_at`` gets the
    default feedback period.

    Raises:
        EntryRefused: the entry does not fit the incident's status or timeline.

    """
    from dataclasses import replace

    from dutydesk.i18n import label
    from dutydesk.rules.facts import occurred_stated
    from dutydesk.rules.workflow import refusal

    refused = refusal(
        incident.status,
        kind,
        history,
        text=entry.text,
        target=entry.target,
        referred=referred[0] if referred else None,
        referred_seq=referred[1] if referred else None,
        occurred_known=occurred_stated(incident),
    )
    if refused is not None:
        values = dict(refused.values)
        if "kind" in values:
            values["kind"] = label(EntryKind(str(values["kind"])))
        raise EntryRefused(
            t(
                "refusal.prefix",
                serial=incident.serial,
                kind=label(kind),
                reason=t(refused.message_key, **values),
            ),
            refused,
        )
    due_at = entry.due_at
    if kind is EntryKind.LEADER_INSTRUCTION and due_at is None:
        due_at = entry.occurred_at + req.rules.feedback
    return replace(entry, kind=kind, due_at=due_at)


def entry_numbers(rows: list[tuple[int, str]]) -> tuple[int, int]:
    """The next ``seq`` on a timeline of ``(seq, kind)`` rows, and the next 续报 number."""
    continued = sum(1 for _, kind in rows if kind == EntryKind.CONTINUED_REPORT)
    return max((seq for seq, _ in rows), default=0) + 1, continued + 1


def entry_changes(
    incident: Any, kind: EntryKind, target: str, now: datetime, stored: Any
) -> dict[str, Any]:
    """The incident's columns an entry of ``kind`` changes (before its clock).

    ``stored(value, name)`` is the department's or leader's name as stored (sealed for
    a classified item on an accredited network).
    """
    from dutydesk.rules.workflow import status_after

    changes: dict[str, Any] = {}
    if kind is EntryKind.ASSIGNMENT and target:
        changes["assigned_department"] = stored(target, "assigned_department")
    elif kind is EntryKind.LEADER_INSTRUCTION and target and not incident.assigned_leader:
        changes["assigned_leader"] = stored(target, "assigned_leader")
    status = status_after(incident.status, kind)
    changes |= {
        "status": status,
        "is_open": is_open(status),
        "version": incident.version + 1,
        "updated_at": now,
    }
    return changes


def cadence_asked(incident: Any, kind: EntryKind, text: str) -> int | None:
    """The stricter report cadence an emergency's instruction asks for, else ``None``.

    每小时报告一次 is 60 minutes; only a cadence stricter than the incident's is taken.
    """
    if kind is not EntryKind.LEADER_INSTRUCTION:
        return None
    if MatterKind(incident.matter_kind) is not MatterKind.EMERGENCY:
        return None  # a request's or a document's clocks are not continued reports
    # Only here: any other follow-up (a note, a report) leaves the parser unloaded.
    from dutydesk.rules.cadence import cadence_in

    minutes = cadence_in(text)
    current = incident.report_every_minutes
    if minutes is None or (current is not None and current <= minutes):
        return None
    return minutes
