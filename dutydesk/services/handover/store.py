"""Storing handover packs and acknowledging them (交接班签收).

A pack is stored when it is made (:func:`record_pack`): its JSON snapshot is what the
meeting read. The incoming officers acknowledge it (:func:`acknowledge`) with their names
and the time; that acknowledgement starts the next period, which begins where the
acknowledged pack ended (its ``period_end``), so nothing that came in between the pack
being printed and being signed falls between two packs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from dutydesk.config import Settings
from dutydesk.errors import DutyDeskError, NotFoundError
from dutydesk.i18n import t
from dutydesk.rules.handover import HandoverPack, default_period_start
from dutydesk.storage.engine import Database, as_utc


class HandoverError(DutyDeskError):
    """An acknowledgement that cannot be recorded as asked; nothing was written."""

    exit_code = 2


@dataclass(frozen=True)
class Acknowledgement:
    """A stored pack's acknowledgement."""

    handover_id: int
    names: tuple[str, ...]
    acknowledged_at: datetime
    period_start: datetime
    period_end: datetime


def period_start(db: Database, at: datetime, settings: Settings) -> datetime:
    """Where the pack for ``at`` starts: the end of the last acknowledged pack, else 08:30.

    The fallback is the latest handover time (``settings.handover_time``) before ``at``.
    """
    rows = db.read(
        "SELECT period_end FROM handover WHERE acknowledged_at IS NOT NULL "
        "AND period_end <= :at ORDER BY period_end DESC, id DESC LIMIT 1",
        {"at": db.time_param(at)},
    )
    if rows:
        found = as_utc(rows[0][0])
        assert found is not None
        return found
    return default_period_start(at, settings.handover_time, settings.tz)


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def snapshot(pack: HandoverPack) -> str:
    """The pack as JSON (times ISO 8601, codes by value): what is stored and exported."""
    return json.dumps(asdict(pack), default=_json, ensure_ascii=False)


def record_pack(db: Database, pack: HandoverPack, *, actor: str | None) -> HandoverPack:
    """Store the pack with its snapshot; return it carrying its ``handover_id``."""
    from dataclasses import replace

    from dutydesk.services.accounts.audit import record
    from dutydesk.services.integrity.sealed import seal
    from dutydesk.storage.models import Handover

    with db.session() as session:
        row = Handover(
            period_start=pack.period_start,
            period_end=pack.period_end,
            generated_at=pack.generated_at,
            snapshot="" if pack.clearance.is_classified else snapshot(pack),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        if pack.clearance.is_classified:
            # A pack made for a cleared reader may hold classified titles: stored sealed,
            # at the reader's clearance, like the incidents it was made from.
            row.snapshot = seal(
                None,
                session,
                snapshot(pack),
                record=f"handover:{row.id}",
                field="snapshot",
                classification=pack.clearance,
            )
        record(
            session=session,
            actor=actor,
            action="handover.generate",
            object_type="handover",
            object_id=row.id,
            detail=f"pack for {pack.period_start.isoformat()} to {pack.period_end.isoformat()}",
            now=pack.generated_at,
        )
        return replace(pack, handover_id=row.id)


def latest_unacknowledged(db: Database) -> int | None:
    """The id of the newest stored pack nobody has acknowledged yet."""
    rows = db.read(
        "SELECT id FROM handover WHERE acknowledged_at IS NULL ORDER BY generated_at DESC, id DESC "
        "LIMIT 1"
    )
    return int(rows[0][0]) if rows else None


def split_names(text: str) -> tuple[str, ...]:
    """``"张三,李四"`` (also ，、; or spaces) as names, blanks and repeats dropped."""
    for mark in "，、;；":
        text = text.replace(mark, ",")
    return tuple(
        dict.fromkeys(p.strip() for chunk in text.split(",") for p in chunk.split() if p.strip())
    )


def acknowledge(
    db: Database, handover_id: int, names: Sequence[str], now: datetime, *, actor: str = ""
) -> Acknowledgement:
    """Record who received the pack and when; this starts the next handover period.

    Raises:
        HandoverError: no names, or the pack was already acknowledged.
        NotFoundError: no stored pack has this id.

    """
    from dutydesk.rules.chain import ChainHead
    from dutydesk.services.accounts.audit import record
    from dutydesk.services.integrity.chain import session_head
    from dutydesk.services.integrity.head_key import append_anchor
    from dutydesk.storage.models import Handover

    cleaned = tuple(name.strip() for name in names if name.strip())
    if not cleaned:
        raise HandoverError(t("error.handover.names"))
    text = "、".join(cleaned)
    if len(text) > 256:
        raise HandoverError(t("error.handover.names_long"))
    with db.session() as session:
        row = session.get(Handover, handover_id)
        if row is None:
            raise NotFoundError(t("error.handover.no_pack", id=handover_id))
        if row.acknowledged_at is not None:
            raise HandoverError(
                t(
                    "error.handover.acknowledged",
                    id=handover_id,
                    names=row.acknowledged_by,
                    at=row.acknowledged_at.isoformat(),
                )
            )
        row.acknowledged_by = text
        row.acknowledged_at = now
        session.add(row)
        record(
            session=session,
            actor=actor or cleaned[0],
            action="handover.acknowledge",
            object_type="handover",
            object_id=handover_id,
            detail=f"acknowledged by {text}",
            now=now,
        )
        # The head after this acknowledgement's own audit event: `verify` checks that
        # nothing the meeting saw was changed afterwards.
        row.chain_head = str(session_head(session))
        session.add(row)
        done = Acknowledgement(handover_id, cleaned, now, row.period_start, row.period_end)
        head = str(row.chain_head)
    # After the commit, so that the anchor file never names a head the record lacks: a
    # copy outside the database, which `verify` checks is still on the chain (issue 17).
    append_anchor(db.path, ChainHead.parse(head), now, handover_id)
    return done


__all__ = [
    "Acknowledgement",
    "HandoverError",
    "acknowledge",
    "latest_unacknowledged",
    "period_start",
    "record_pack",
    "snapshot",
    "split_names",
]
