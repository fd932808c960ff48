"""The demo's accounts as ``dutydesk demo`` prints them: roles, clearance, PIN, duty now.

Kept apart from :mod:`dutydesk.services.demo.load` (which loads) so each stays small. Roles,
clearance and who is on duty are read from the database, not the data file, so the table
shows what signing in will give (after a ``user role`` or a roster swap too); only the
PIN comes from the file, since the database holds its hash alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from dutydesk.config import Settings
from dutydesk.services.roster.pane import on_duty
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, Position, Role

_ROLE_ORDER = {role: index for index, role in enumerate(Role)}


@dataclass(frozen=True)
class DemoAccount:
    """A demo person who can sign in, with what signing in gives them."""

    name: str
    roles: tuple[Role, ...]
    """In the order of :class:`~dutydesk.vocab.Role` (duty leader first)."""
    clearance: Classification
    pin: str
    """The published demo PIN (demo data only)."""
    on_duty: tuple[Position, ...] = ()
    """The positions the roster gives this person at the report's moment (usually one)."""


def demo_accounts(
    db: Database, pins: Mapping[str, str], now: datetime, settings: Settings
) -> tuple[DemoAccount, ...]:
    """The active people with a credential and a demo PIN, in the data file's order.

    Args:
        db: the demo database (committed: this reads through the store's plain path).
        pins: name -> demo PIN, from the data file.
        now: the moment "on duty now" refers to.
        settings: shift times and timezone, as the roster pane uses them.

    """
    rows = db.read(
        "SELECT p.id, p.name, p.clearance, r.role FROM person p "
        "JOIN credential c ON c.person_id = p.id "
        "LEFT JOIN person_role r ON r.person_id = p.id WHERE p.active ORDER BY p.id"
    )
    found: dict[str, tuple[Classification, list[Role]]] = {}
    for _id, name, clearance, role in rows:
        _, roles = found.setdefault(str(name), (Classification(clearance), []))
        if role is not None:
            roles.append(Role(role))
    holders: dict[str, list[Position]] = {}
    for position in Position:
        holder = on_duty(
            db,
            position,
            now,
            day_start=settings.day_shift_start,
            night_start=settings.night_shift_start,
            tz=settings.tz,
        )
        if holder is not None:
            holders.setdefault(holder, []).append(position)
    return tuple(
        DemoAccount(
            name=name,
            roles=tuple(sorted(roles, key=_ROLE_ORDER.__getitem__)),
            clearance=clearance,
            pin=pins[name],
            on_duty=tuple(holders.get(name, ())),
        )
        for name, (clearance, roles) in found.items()
        if pins.get(name)
    )


__all__ = ["DemoAccount", "demo_accounts"]
