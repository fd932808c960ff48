"""Who may do what (pure): account management, the audit trail, lockout, PIN policy.

The separation follows the "three-person" (三员分立) practice of classified systems:
administrators manage accounts but gain no clearance from it and cannot erase or read
the audit trail; auditors read the audit trail and nothing else follows from it;
clearance alone decides who sees classified content (:func:`may_see`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dutydesk.rules.policy import may_see
from dutydesk.vocab import Classification, Role

MIN_PIN_LENGTH = 4
"""Shortest PIN or passphrase accepted; a PIN is meant to be typed at 3 a.m."""
MAX_PIN_LENGTH = 256
"""Longest accepted, so that hashing cost stays bounded."""


def _roles(roles: Iterable[Role | str]) -> set[Role]:
    return {Role(role) for role in roles}


def may_manage_accounts(roles: Iterable[Role | str]) -> bool:
    """True for administrators: add, disable, re-PIN people, change roles and clearance."""
    return Role.ADMIN in _roles(roles)


def may_read_audit(roles: Iterable[Role | str]) -> bool:
    """True for auditors only: an administrator cannot review their own actions."""
    return Role.AUDITOR in _roles(roles)


def may_grant_clearance(granter: Classification | str, clearance: Classification | str) -> bool:
    """An administrator cannot hand out a clearance above their own (no self-escalation)."""
    return may_see(granter, clearance)


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be used (an i18n key), or ``None`` if it can."""
    if len(pin) < MIN_PIN_LENGTH:
        return "auth.pin_too_short"
    if len(pin) > MAX_PIN_LENGTH:
        return "auth.pin_too_long"
    if pin != pin.strip():
        return "auth.pin_spaces"
    return None


@dataclass(frozen=True)
class Attempt:
    """The outcome of one failed sign-in for the account's lockout state."""

    failed_attempts: int
    """Failures in a row, counting this one (0 after a lockout starts)."""
    locked_until: datetime | None
    """Set when this failure locks the account."""


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """True while a lockout is running."""
    return locked_until is not None and now < locked_until


def after_failure(failed_before: int, now: datetime, *, attempts: int, minutes: int) -> Attempt:
    """The lockout state after one more wrong PIN.

    The ``attempts``-th failure in a row locks the account for ``minutes``; the count
    starts again from zero afterwards, so the next lockout needs as many tries again.
    """
    failed = failed_before + 1
    if failed >= attempts:
        return Attempt(0, now + timedelta(minutes=minutes))
    return Attempt(failed, None)
