"""Who may do what (pure): account management, the audit trail, lockout, PIN policy.

The separation follows the "three-person" (三员分立) practice of classified systems:
the system administrator manages accounts and holds no clearance; the security officer
(安全保密管理员) grants clearances and names who needs to know an item (知悉范围), and
gains no reading from it; the security auditor reads the audit trail. Nobody holds two
of the three (:func:`separation_conflict`). Clearance and being named decide who sees
classified content (:func:`dutydesk.rules.policy.may_open`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from dutydesk.records import record
from dutydesk.rules.sanitize import has_visible_text
from dutydesk.vocab import Classification, Role

MIN_PIN_LENGTH = 4
"""Shortest PIN or passphrase accepted; a PIN is meant to be typed at 3 a.m."""
MAX_PIN_LENGTH = 256
"""Longest accepted, so that hashing cost stays bounded."""
CLASSIFIED_PIN_LENGTH = 6
"""Issue 17: shortest PIN of an account cleared above internal (秘密 and up), by default
(``pin_min_classified``). A 4-digit PIN fell to an offline search in 48 s; the accounts
that open classified content get the longer one, the others keep 4 for 3 a.m. typing.
A shorter PIN that still matches opens the account only to be replaced (``auth``)."""


def _roles(roles: Iterable[Role | str]) -> set[Role]:
    return {Role(role) for role in roles}


SEPARATED_ROLES = frozenset({Role.ADMIN, Role.SECURITY_OFFICER, Role.AUDITOR})
"""三员: system administrator, security officer, security auditor; one person holds one."""


def separation_conflict(roles: Iterable[Role | str]) -> bool:
    """True when ``roles`` hold two or more of the three separated roles (三员分立)."""
    return len(_roles(roles) & SEPARATED_ROLES) > 1


def may_manage_accounts(roles: Iterable[Role | str]) -> bool:
    """True for administrators: add, disable, re-PIN people, change roles (not clearance)."""
    return Role.ADMIN in _roles(roles)


def may_hold_clearance(roles: Iterable[Role | str], clearance: Classification | str) -> bool:
    """False for a system administrator with any classified clearance: they hold none."""
    return Role.ADMIN not in _roles(roles) or not Classification(clearance).is_classified


def may_set_clearance(roles: Iterable[Role | str]) -> bool:
    """True for the security officer: clearances and need-to-know lists are theirs alone."""
    return Role.SECURITY_OFFICER in _roles(roles)


PROTECTED_ROLES = frozenset({Role.AUDITOR, Role.SECURITY_OFFICER})
"""Accounts the administrator cannot take over: who audits them, and who clears people."""


def is_protected_account(
    target_roles: Iterable[Role | str],
    target_clearance: Classification | str,
    actor_clearance: Classification | str,
) -> bool:
    """True when only the owner or the security officer may change this account.

    An administrator who could reset the PIN of someone cleared above them, or of an
    auditor or a security officer, could sign in as them and read what they may not
    (issue 17): such accounts are the security officer's to change (PIN, roles, enabling
    again), or their owner's. Disabling stays the administrator's: it grants nothing.
    """
    above = Classification(target_clearance).level > Classification(actor_clearance).level
    return above or bool(_roles(target_roles) & PROTECTED_ROLES)


def may_change_account(
    actor_roles: Iterable[Role | str],
    actor_clearance: Classification | str,
    target_roles: Iterable[Role | str],
    target_clearance: Classification | str,
) -> bool:
    """True if the actor may change another person's account (PIN, roles, enabling).

    Administrators change ordinary accounts; a protected one (:func:`is_protected_account`)
    needs the security officer.
    """
    actor = _roles(actor_roles)
    if is_protected_account(target_roles, target_clearance, actor_clearance):
        return Role.SECURITY_OFFICER in actor
    return Role.ADMIN in actor


DESK_ROLES = frozenset(
    {
        Role.DUTY_LEADER,
        Role.DUTY_OFFICER,
        Role.INFORMATION_OFFICER,
        Role.CONFIDENTIAL_OFFICER,
        Role.LEADER,
    }
)
"""Roles that write the desk's record: incidents, follow-ups, bulletins, roster, handover."""


def may_write_record(roles: Iterable[Role | str]) -> bool:
    """True for duty staff and leaders: the three separated roles alone write no record.

    An auditor who could register incidents or issue bulletins would audit their own
    entries; an administrator or security officer keeps accounts and clearances, not the
    desk's record (issue 17). A database without sign-in has no roles and is not asked.
    """
    return bool(_roles(roles) & DESK_ROLES)


def may_read_audit(roles: Iterable[Role | str]) -> bool:
    """True for auditors only: an administrator cannot review their own actions."""
    return Role.AUDITOR in _roles(roles)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a new account (an i18n key), or ``None`` if it can.

    A name made only of escape sequences, controls or invisible characters would be a
    roster seat that looks empty and a sign-in nobody can type.
    """
    if not has_visible_text(name):
        return "auth.name_invisible"
    return None


def pin_problem(
    pin: str,
    clearance: Classification | str = Classification.INTERNAL,
    classified_length: int = CLASSIFIED_PIN_LENGTH,
) -> str | None:
    """Why ``pin`` cannot be used (an i18n key, ``{min}`` its length), or ``None`` if it can.

    ``clearance`` is the account's: above internal, the PIN needs ``classified_length``
    characters (never fewer than :data:`MIN_PIN_LENGTH`). The rule is checked when a
    PIN is set; a PIN set before it keeps working until its owner's next change.
    """
    if len(pin) < MIN_PIN_LENGTH:
        return "auth.pin_too_short"
    longer = max(classified_length, MIN_PIN_LENGTH)
    if Classification(clearance).is_classified and len(pin) < longer:
        return "auth.pin_too_short_classified"
    if len(pin) > MAX_PIN_LENGTH:
        return "auth.pin_too_long"
    if pin != pin.strip():
        return "auth.pin_spaces"
    return None


@record
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
