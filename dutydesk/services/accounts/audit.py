"""The audit trail: who did what, when; append-only and on the hash chain.

:func:`record` is the one way an audit event is written. It never stores a PIN, a key or
classified text in ``detail``: callers pass identifiers and outcomes only. Reading the
trail is for auditors (:func:`list_events`); nobody, administrators included, has a
function to change or erase it, and :mod:`dutydesk.services.integrity.verify` detects anyone
who does so behind dutydesk's back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.access import may_read_audit
from dutydesk.services.integrity import chain
from dutydesk.storage.engine import as_utc
from dutydesk.storage.models import AuditEvent

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.services.accounts.auth import Operator
    from dutydesk.storage.engine import Database


class AccessDenied(DutyDeskError):
    """The operator's roles do not allow this; nothing was read or written."""

    exit_code = 3


def _actor_id(session: Session, actor: Operator | int | str | None) -> tuple[int | None, str]:
    """The actor's person id, and a name to keep in ``detail`` when it has none."""
    if actor is None or isinstance(actor, int):
        return actor, ""
    if isinstance(actor, str):
        from sqlmodel import select

        from dutydesk.storage.models import Person

        found = session.exec(select(Person.id).where(Person.name == actor.strip())).first()
        return (found, "") if found is not None else (None, actor.strip())
    return actor.id, ""


def record(
    session: Session,
    actor: Operator | int | str | None,
    action: str,
    object_type: str,
    object_id: str | int | None,
    detail: str,
    now: datetime,
) -> AuditEvent:
    """Append one audit event to the trail (and the chain) in ``session``'s transaction.

    Args:
        session: a writing session; the event commits or rolls back with the change.
        actor: whoever acted: a signed-in :class:`~dutydesk.services.accounts.auth.Operator`,
            a person id, or a name (looked up; a name with no person is kept in
            ``detail``), ``None`` for nobody known.
        action: a stable code, e.g. ``sign_in_failed``, ``user_added``, ``key_rotated``.
        object_type: what was acted on, e.g. ``person``, ``incident``.
        object_id: which one (id or serial).
        detail: a short note with no secret or classified text in it.
        now: the moment (aware).

    """
    actor_id, unknown = _actor_id(session, actor)
    if unknown:
        detail = f"[{unknown}] {detail}"
    event = AuditEvent(
        occurred_at=now,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        detail=detail,
    )
    session.add(event)
    chain.append(session, event)
    return event


@dataclass(frozen=True)
class AuditRow:
    """One audit event as listed for an auditor."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: str


def list_events(
    db: Database, operator: Operator, *, limit: int = 200, action: str | None = None
) -> list[AuditRow]:
    """The newest audit events first; for auditors only.

    Raises:
        AccessDenied: the operator is not an auditor.

    """
    if not may_read_audit(operator.roles):
        raise AccessDenied(t("auth.auditors_only"))
    # State facts (issue 17, services.integrity.state_facts) repeat, for verify, what the
    # events beside them already say: listed only when asked for by their action.
    facts = "'state', 'state_deleted', 'state_baseline'"
    where = "WHERE a.action = :action" if action else f"WHERE a.action NOT IN ({facts})"
    rows = db.read(
        "SELECT a.id, a.occurred_at, coalesce(p.name, ''), a.action, a.object_type,"  # noqa: S608 - WHERE is one of two constant texts; action and limit are bound
        " a.object_id, a.detail FROM audit_event a LEFT JOIN person p ON p.id = a.actor_id "
        f"{where} ORDER BY a.chain_seq DESC, a.id DESC LIMIT :limit",
        {"limit": limit, "action": action or ""},
    )
    return [
        AuditRow(int(r[0]), as_utc(r[1]) or datetime.min, *(str(v) for v in r[2:])) for r in rows
    ]
