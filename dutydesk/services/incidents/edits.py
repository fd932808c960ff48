"""Field edits of an incident (e.g. severity raised from IV to II), with optimistic locking.

An edit never overwrites silently: the caller says which version it saw, and if someone
else wrote in between (another console, another shell) the edit is refused with
:class:`~dutydesk.services.incidents.records.ConflictError`, which carries the current state and
what the caller tried to write. Each accepted edit is recorded on the timeline as one
``field_change`` entry with the old and new value of every field it changed, and the
report clocks are recomputed (a severity change moves every deadline).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from dutydesk.errors import NotFoundError
from dutydesk.i18n import field_caption, label, t
from dutydesk.rules.chain import ENVELOPE_PREFIX
from dutydesk.rules.facts import PARSERS, FactError, as_text
from dutydesk.rules.policy import may_see
from dutydesk.rules.workflow import Refusal
from dutydesk.services.incidents.followup import NewEntry, record_entry
from dutydesk.services.incidents.records import (
    EntryRefused,
    IncidentError,
    check_version,
    enum_value,
    require_aware,
)
from dutydesk.services.incidents.refusals import fact_refusal
from dutydesk.services.incidents.register import CONTENT_FIELDS, refuse_content
from dutydesk.services.integrity.sealed import SEALED_FIELDS, incident_record, seal, unseal
from dutydesk.services.limits import refuse_too_long
from dutydesk.storage.models import Incident
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
    from sqlmodel import Session

    from dutydesk.services.request import Request

EDITABLE: dict[str, type[StrEnum] | None] = {
    "channel": Channel,
    "matter_kind": MatterKind,
    "category": Category,
    "severity": Severity,
    "classification": Classification,
    "title": None,
    "summary": None,
    "location": None,
    "reporter_name": None,
    "reporter_unit": None,
    "reporter_phone": None,
}
"""Fields an operator may edit, with the vocabulary each must come from (``None``: text).

Status and the assigned leader/department follow the timeline; ``received_at`` starts
every clock and fixes the serial's day, so a wrong receipt time is answered by a
correction entry, not an edit.
"""

_REQUIRED_TEXT = {"title", "summary"}


def _has_sealed_entries(session: Session, incident_id: int) -> bool:
    """True when some timeline entry of the incident is stored sealed."""
    from sqlalchemy import text

    found = session.execute(
        text("SELECT 1 FROM timeline_entry WHERE incident_id = :id AND text LIKE :prefix LIMIT 1"),
        {"id": incident_id, "prefix": ENVELOPE_PREFIX + "%"},
    ).first()
    return found is not None


def _checked(changes: Mapping[str, object]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in changes.items():
        if name in PARSERS:
            continue  # typed report elements: see _typed
        if name not in EDITABLE:
            editable = [*EDITABLE, *PARSERS]
            raise IncidentError(
                t(
                    "error.incident.not_editable",
                    field=field_caption(name),
                    allowed=", ".join(editable),
                )
                if name != "received_at"
                else t("error.incident.received_fixed")
            )
        vocabulary = EDITABLE[name]
        if vocabulary is not None:
            values[name] = enum_value(vocabulary, str(value), name).value
        elif not isinstance(value, str):
            raise IncidentError(
                t("error.incident.not_text", field=field_caption(name), kind=type(value).__name__)
            )
        elif name in _REQUIRED_TEXT and not value.strip():
            raise IncidentError(t("error.incident.blank", field=field_caption(name)))
        else:
            values[name] = value
    return values


def _typed(changes: Mapping[str, object]) -> dict[str, object]:
    """The typed report elements among ``changes`` (事发时间, casualties, sensitive, cadence)."""
    typed: dict[str, object] = {}
    for name, value in changes.items():
        if name in PARSERS:
            try:
                typed[name] = PARSERS[name](name, value)
            except FactError as error:
                raise IncidentError(fact_refusal(error)) from None
    return typed


def _differences(
    incident: Incident,
    values: Mapping[str, str],
    clear: Mapping[str, str],
    typed: Mapping[str, object],
) -> dict[str, tuple[str, str]]:
    """Each field that changes, as (old, new) text: what the ``field_change`` records."""
    diff: dict[str, tuple[str, str]] = {}
    for name, new in values.items():
        old = clear.get(name, str(getattr(incident, name)))
        if old != new:
            diff[name] = (old, new)
    for name, value in typed.items():
        before_text, after_text = as_text(getattr(incident, name)), as_text(value)
        if before_text != after_text:
            diff[name] = (before_text, after_text)
    return diff


def describe_changes(changes: Mapping[str, tuple[str, str]]) -> str:
    """The text of a ``field_change`` entry: one ``field: "old" → "new"`` line per field.

    Values are JSON string literals, so a multi-line summary stays on one line and the
    old and new values can be read back exactly.
    """
    return "\n".join(
        f"{name}: {json.dumps(old, ensure_ascii=False)} → {json.dumps(new, ensure_ascii=False)}"
        for name, (old, new) in changes.items()
    )


def _refuse_closed(incident: Incident) -> None:
    """Refuse any edit of a closed incident (a correction entry answers it instead)."""
    if Status(incident.status) is Status.CLOSED:
        refused = Refusal("closed")
        raise EntryRefused(
            t(
                "refusal.prefix",
                serial=incident.serial,
                kind=label(EntryKind.FIELD_CHANGE),
                reason=t(refused.message_key),
            ),
            refused,
        )


def _require_cleared(req: Request, serial: str, level: Classification, key: str) -> None:
    """Refuse an edit of (or a raise to) ``level`` by someone not cleared for it (issue 17).

    An officer cleared only for internal could otherwise overwrite the title of a 机密
    item they cannot read, or raise it to 绝密 and so take it from its 机密 readers.
    ``req.clearance`` is the writer's own (the console's operator; the CLI's signed-in one).
    """
    if level.is_classified and not may_see(req.clearance, level):
        raise IncidentError(
            t(key, serial=serial, classification=label(level), clearance=label(req.clearance))
        )


def update_fields(
    req: Request,
    *,
    session: Session,
    incident_id: int,
    expected_version: int | None,
    changes: Mapping[str, object],
) -> Incident:
    """Change fields of an incident, record the change, recompute the clocks.

    The incident row is read inside the caller's write transaction (``BEGIN IMMEDIATE``
    on SQLite, ``SELECT ... FOR UPDATE`` elsewhere), so the version compared is the
    committed one and no other writer can slip in before this transaction ends.

    Args:
        req: who makes the change (``actor_name``, ``actor_id``), its moment (``now``,
            aware), the deadline rules to recompute the clocks, and the key ring for a
            classified incident's title, summary and entry.
        session: a writing ORM session.
        incident_id: the incident's id.
        expected_version: the version the caller last saw; ``None`` skips the check
            (last writer wins: only for callers that read and write in one go).
        changes: field name -> new value (see :data:`EDITABLE`); unchanged values are
            ignored.

    A classified incident's title and summary are compared in clear and stored sealed;
    a change of classification re-seals them. Its timeline entries were sealed at the
    old classification and are on the hash chain, so they cannot be re-sealed: they
    stay sealed at the level they were written at, which readers of the raised label
    may open (:func:`dutydesk.services.integrity.sealed.opened_at_or_below`). Lowering the label
    of an incident with sealed entries is refused (nothing written).

    Returns:
        The incident after the change (unchanged, same version, if nothing differed).

    Raises:
        NotFoundError: there is no such incident.
        ConflictError: ``expected_version`` is not the current version.
        EntryRefused: the incident is closed.
        IncidentError: a field cannot be edited or a value is not valid, the
            incident's sealed timeline forbids a change of classification, or the
            writer (``req.clearance``) is not cleared for its level or the raised one.
        DecryptError: the key file does not open the incident's sealed text.

    """
    now, keys = req.now, req.keys
    require_aware(("now", now))
    incident = session.get(Incident, incident_id, with_for_update=True, populate_existing=True)
    if incident is None:
        raise NotFoundError(t("error.incident.no_id", id=incident_id))
    check_version(incident, expected_version, dict(changes))
    refuse_too_long(req.limits, changes)
    values = _checked(changes)
    _refuse_closed(incident)
    where = incident_record(incident_id)
    before = Classification(incident.classification)
    _require_cleared(req, incident.serial, before, "crypto.edit_uncleared")
    # Issue 13: on an accredited network the location, reporter and assigned leader and
    # department are sealed like the title and summary: compared in clear, re-sealed.
    sealed_fields = ("title", "summary") if req.register_only else SEALED_FIELDS
    clear = {
        name: unseal(
            keys,
            session,
            str(getattr(incident, name)),
            record=where,
            field=name,
            classification=before,
        )
        for name in sealed_fields
    }
    typed = _typed(changes)
    after_level = Classification(values.get("classification", before))
    # Register mode (issue 13): no content typed into a classified item, raised or not.
    refuse_content(req, after_level, {n: v for n, v in values.items() if n in CONTENT_FIELDS})
    diff = _differences(incident, values, clear, typed)
    raised = "classification" in diff and Classification(diff["classification"][1]).level > (
        before.level
    )
    if raised:  # raising hides the item from readers cleared below the new level
        _require_cleared(req, incident.serial, after_level, "crypto.raise_uncleared")
    if "classification" in diff and not raised and _has_sealed_entries(session, incident_id):
        # Raising is fine (earlier entries stay sealed at the lower level and are opened
        # for readers the higher label admits); lowering would leave them unreadable.
        raise IncidentError(
            t("crypto.relabel_sealed", serial=incident.serial, classification=label(before))
        )
    if not diff:
        return incident
    for name, (_, new) in diff.items():
        if name in typed:
            setattr(incident, name, typed[name])  # the value, not its text
        elif name not in clear:
            setattr(incident, name, new)
    after = Classification(incident.classification)
    for name, text in clear.items():
        value = diff[name][1] if name in diff else text
        if name in diff or after is not before:
            sealed = seal(keys, session, value, record=where, field=name, classification=after)
            setattr(incident, name, sealed)
    if req.register_only and after.is_classified and not before.is_classified:
        # Raised on an ordinary workstation: the content just sealed is purged on
        # confirmation (register.purge); the location and reporter, which no reader opens
        # sealed, go now, so nothing of the item is left in clear meanwhile.
        for name in CONTENT_FIELDS[2:]:
            setattr(incident, name, "")
    incident.severity_rank = Severity(incident.severity).rank
    change = NewEntry(
        kind=EntryKind.FIELD_CHANGE,
        occurred_at=max(now, incident.received_at),
        text=describe_changes(diff),
    )
    record_entry(req, incident, change, session=session)
    return incident
