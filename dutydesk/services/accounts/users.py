"""Accounts: the first administrator, what administrators do to accounts, clearances.

三员分立: the system administrator adds, disables and re-PINs accounts and changes
their roles, and holds no clearance; the security officer (安全保密管理员) alone sets
clearances (:func:`set_clearance`), never their own; the auditor reads the audit trail.
Nobody holds two of the three, refused at account creation and at every role change.
Every function takes the acting :class:`Operator` and refuses anyone else (except
:func:`set_pin` on one's own account); the last active administrator stays. Accounts
cleared above the administrator, and auditors' and security officers' accounts, are
the security officer's to change, so that no administrator can take one over by
choosing its PIN (issue 17); a PIN reset makes its owner choose their own at the next
sign-in. Each change
is an audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from dutydesk.config import Settings
from dutydesk.errors import DutyDeskError, NotFoundError
from dutydesk.i18n import t
from dutydesk.rules.access import (
    MIN_PIN_LENGTH,
    PROTECTED_ROLES,
    is_protected_account,
    may_change_account,
    may_hold_clearance,
    may_manage_accounts,
    may_set_clearance,
    name_problem,
    pin_problem,
    separation_conflict,
)
from dutydesk.services.accounts import audit
from dutydesk.services.accounts.audit import AccessDenied
from dutydesk.services.accounts.auth import Operator, hash_pin, operator_of
from dutydesk.storage.engine import Database, as_utc
from dutydesk.storage.models import Credential, Person, PersonRole
from dutydesk.vocab import PERSONNEL_CATEGORY_ZH, Classification, Role


class AccountError(DutyDeskError):
    """The account change cannot be made as asked; the message says why."""

    exit_code = 2


@dataclass(frozen=True)
class AccountRow:
    """One account as ``dutydesk user list`` shows it (never the hash)."""

    name: str
    roles: tuple[str, ...]
    clearance: str
    category: str
    """涉密人员类别 (核心, 重要, 一般) the clearance makes; empty below 秘密."""
    active: bool
    has_pin: bool
    locked_until: datetime | None


def _check_name(name: str) -> None:
    problem = name_problem(name)
    if problem is not None:
        raise AccountError(t(problem, name=repr(name)))


def _check_pin(
    pin: str,
    clearance: Classification | str = Classification.INTERNAL,
    settings: Settings | None = None,
) -> None:
    length = (settings or Settings()).pin_min_classified
    problem = pin_problem(pin, clearance, length)
    if problem is not None:
        raise AccountError(t(problem, min=max(length, MIN_PIN_LENGTH)))


def _require_admin(operator: Operator) -> None:
    if not may_manage_accounts(operator.roles):
        raise AccessDenied(t("auth.admins_only"))


def _require_security_officer(operator: Operator) -> None:
    if not may_set_clearance(operator.roles):
        raise AccessDenied(t("auth.security_officers_only"))


def _check_roles(roles: Iterable[Role], clearance: Classification | str) -> None:
    """Refuse two of the three separated roles, or a clearance held by an administrator."""
    if separation_conflict(roles):
        raise AccountError(t("auth.three_roles"))
    if not may_hold_clearance(roles, clearance):
        raise AccountError(t("auth.admin_no_clearance"))


def _person(session: Session, name: str) -> Person:
    person = session.exec(select(Person).where(Person.name == name.strip())).first()
    if person is None:
        raise NotFoundError(t("auth.no_person", name=name.strip()))
    return person


def _roles(session: Session, person_id: int | None) -> set[Role]:
    rows = session.exec(select(PersonRole.role).where(PersonRole.person_id == person_id)).all()
    return {Role(role) for role in rows}


def _active_holders(session: Session, role: Role) -> int:
    rows = session.exec(
        select(Person.id)
        .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
        .where(PersonRole.role == role.value, col(Person.active).is_(True))
    ).all()
    return len(rows)


def _active_admins(session: Session) -> int:
    return _active_holders(session, Role.ADMIN)


def _require_may_change(
    session: Session, operator: Operator, person: Person, after: Iterable[Role] = ()
) -> None:
    """Refuse a change to someone else's account the operator may not make (issue 17).

    ``after`` are roles the change gives: granting an auditor's or security officer's
    role makes the account protected, so it is the security officer's act too, except
    the very first security officer, whom only the administrator can create.
    """
    roles = _roles(session, person.id) | set(after)
    if may_change_account(operator.roles, operator.clearance, roles, person.clearance):
        return
    bootstrap = (
        set(after) & PROTECTED_ROLES == {Role.SECURITY_OFFICER}
        and not is_protected_account(roles - {Role.SECURITY_OFFICER}, person.clearance,
                                     operator.clearance)
        and not _active_holders(session, Role.SECURITY_OFFICER)
        and may_manage_accounts(operator.roles)
    )  # fmt: skip
    if bootstrap:
        return
    if is_protected_account(roles, person.clearance, operator.clearance):
        raise AccessDenied(t("auth.protected_account", name=person.name))
    raise AccessDenied(t("auth.admins_only"))


def _set_credential(session: Session, person_id: int, pin_hash: str, now: datetime) -> None:
    credential = session.get(Credential, person_id)
    if credential is None:
        credential = Credential(person_id=person_id, pin_hash="", changed_at=now)
    credential.pin_hash = pin_hash
    credential.failed_attempts, credential.locked_until, credential.changed_at = 0, None, now
    session.add(credential)


def init_admin(
    db: Database, name: str, pin: str, now: datetime, *, clearance: Classification | str
) -> Operator:
    """Create the first administrator (or make an existing person one) with a PIN.

    Raises:
        AccountError: an administrator exists already, the name shows nothing, the PIN
            is unusable, or a classified clearance is asked (the administrator holds none).

    """
    _check_name(name)
    _check_pin(pin)
    if not may_hold_clearance({Role.ADMIN}, clearance):
        raise AccountError(t("auth.admin_no_clearance"))
    pin_hash = hash_pin(pin)  # about a second: before the write lock
    with db.session() as session:
        if _active_admins(session):
            raise AccountError(t("auth.admin_exists"))
        person = session.exec(select(Person).where(Person.name == name.strip())).first()
        if person is None:
            person = Person(name=name.strip(), clearance=Classification(clearance))
            session.add(person)
            session.flush()
        assert person.id is not None
        _check_roles(_roles(session, person.id) | {Role.ADMIN}, person.clearance)
        if Role.ADMIN not in _roles(session, person.id):
            session.add(PersonRole(person_id=person.id, role=Role.ADMIN.value))
        _set_credential(session, person.id, pin_hash, now)
        audit.record(session, person.id, "account_initialised", "person", person.id, "", now)
        session.flush()
        return operator_of(session, person)


@dataclass(frozen=True)
class NewAccount:
    """An account to add: who, with which PIN, roles and clearance."""

    name: str
    pin: str
    roles: Iterable[Role]
    clearance: Classification | str = Classification.INTERNAL
    unit: str = ""
    title: str = ""


def add_user(
    db: Database,
    operator: Operator,
    account: NewAccount,
    now: datetime,
    *,
    settings: Settings | None = None,
) -> None:
    """Add an account, or give an existing person (e.g. from the roster) a PIN and roles.

    ``operator`` (the administrator, whose roles and clearance are checked) and ``now``
    are passed as every account service takes them; ``settings`` gives the PIN length
    for an account cleared above internal (``pin_min_classified``).

    Raises:
        AccessDenied: the operator is not an administrator.
        AccountError: a classified clearance (the security officer grants those), two
            of the three separated roles, a name that shows nothing, bad PIN, or the
            person already has a PIN.

    """
    name, pin, clearance = account.name, account.pin, account.clearance
    if not may_manage_accounts(operator.roles) and not may_set_clearance(operator.roles):
        raise AccessDenied(t("auth.admins_only"))
    _check_name(name)
    _check_pin(pin)  # the clearance's length once the person is read (a roster one may hold one)
    wanted = set(account.roles)
    if separation_conflict(wanted):
        raise AccountError(t("auth.three_roles"))
    if Classification(clearance).is_classified:
        raise AccountError(t("auth.clearance_by_officer"))
    pin_hash = hash_pin(pin)  # about a second: before the write lock
    with db.session() as session:
        person = session.exec(select(Person).where(Person.name == name.strip())).first()
        if person is None:
            person = Person(name=name.strip(), unit=account.unit, title=account.title)
            session.add(person)
            session.flush()
        elif session.get(Credential, person.id) is not None:
            raise AccountError(t("auth.exists", name=person.name))
        assert person.id is not None
        # A PIN the administrator chose for someone cleared above them, or for an
        # auditor, would let the administrator sign in as them: the security officer's.
        _require_may_change(session, operator, person, wanted)
        have = _roles(session, person.id)
        # A roster person may hold a clearance the security officer gave: it stays,
        # and their PIN must be as long as that clearance asks (issue 17).
        _check_pin(pin, person.clearance, settings)
        if not Classification(person.clearance).is_classified:
            person.clearance = Classification(clearance)
        _check_roles(have | wanted, person.clearance)
        session.add(person)
        session.add_all(PersonRole(person_id=person.id, role=r.value) for r in wanted - have)
        _set_credential(session, person.id, pin_hash, now)
        detail = f"roles {','.join(sorted(r.value for r in wanted))}; clearance {clearance}"
        audit.record(session, operator, "account_added", "person", person.id, detail, now)


def list_users(db: Database, operator: Operator) -> list[AccountRow]:
    """Every person with roles, clearance (and 涉密人员类别), state.

    For the administrator (accounts) and the security officer (clearances).

    Raises:
        AccessDenied: the operator is neither.

    """
    if not may_set_clearance(operator.roles):
        _require_admin(operator)
    rows = db.read(
        f"SELECT p.name, {db.list_agg('r.role')}, p.clearance, p.active,"  # noqa: S608 - list_agg of a constant column; no values in the text
        " c.person_id IS NOT NULL, c.locked_until FROM person p"
        " LEFT JOIN person_role r ON r.person_id = p.id"
        " LEFT JOIN credential c ON c.person_id = p.id"
        " GROUP BY p.id, c.person_id, c.locked_until ORDER BY p.name"
    )
    return [
        AccountRow(
            str(name),
            tuple(sorted(str(roles).split(","))) if roles else (),
            str(clearance),
            PERSONNEL_CATEGORY_ZH.get(Classification(clearance), ""),
            bool(active),
            bool(has_pin),
            as_utc(locked),
        )
        for name, roles, clearance, active, has_pin, locked in rows
    ]


def set_active(db: Database, operator: Operator, name: str, active: bool, now: datetime) -> None:
    """Disable (or enable again) an account; the last active administrator stays.

    Raises:
        AccessDenied: the operator is not an administrator.
        AccountError: it would leave no active administrator.

    """
    if not active:
        _require_admin(operator)
    elif not may_manage_accounts(operator.roles) and not may_set_clearance(operator.roles):
        raise AccessDenied(t("auth.admins_only"))
    with db.session() as session:
        person = _person(session, name)
        if active:  # enabling again hands the account back: protected ones are not theirs
            _require_may_change(session, operator, person)
        if not active and Role.ADMIN in _roles(session, person.id) and _active_admins(session) < 2:
            raise AccountError(t("auth.last_admin"))
        person.active = active
        session.add(person)
        action = "account_enabled" if active else "account_disabled"
        audit.record(session, operator, action, "person", person.id or "", "", now)


def set_pin(
    db: Database,
    operator: Operator,
    name: str,
    pin: str,
    now: datetime,
    *,
    settings: Settings | None = None,
) -> None:
    """Set a new PIN (and lift a lockout): one's own, or another's as a reset.

    An account cleared above internal needs a longer PIN (``settings.pin_min_classified``).

    Resetting another person's PIN is the administrator's act for ordinary accounts and
    the security officer's for protected ones (``rules.access.is_protected_account``).
    A reset is recorded as ``pin_reset``: the owner must choose their own PIN at their
    next sign-in, and is told who reset it and when (``auth.pending_reset``).

    Raises:
        AccessDenied: the operator may not change this account.
        AccountError: the PIN is unusable.

    """
    own = name.strip() == operator.name
    if not own and not (may_manage_accounts(operator.roles) or may_set_clearance(operator.roles)):
        raise AccessDenied(t("auth.admins_only"))
    _check_pin(pin)
    pin_hash = hash_pin(pin)  # about a second: before the write lock
    with db.session() as session:
        person = _person(session, name)
        assert person.id is not None
        if not own:
            _require_may_change(session, operator, person)
        _check_pin(pin, person.clearance, settings)
        _set_credential(session, person.id, pin_hash, now)
        action = "pin_changed" if own else "pin_reset"
        audit.record(session, operator, action, "person", person.id, "", now)


def change_roles(
    db: Database,
    operator: Operator,
    name: str,
    now: datetime,
    *,
    add: Iterable[Role] = (),
    remove: Iterable[Role] = (),
    clearance: Classification | str | None = None,
) -> None:
    """Add or remove roles of one account (the administrator's act).

    ``clearance`` is the security officer's act: given, :func:`set_clearance` sets it
    (so one person can never do both in one call; they hold different roles).

    Raises:
        AccessDenied: the operator is not an administrator.
        AccountError: two of the three separated roles, an administrator with a
            clearance, or the last active administrator losing the role.

    """
    if clearance is not None:
        if add or remove:
            raise AccountError(t("auth.roles_or_clearance"))
        set_clearance(db, operator, name, clearance, now)
        return
    if not may_manage_accounts(operator.roles) and not may_set_clearance(operator.roles):
        raise AccessDenied(t("auth.admins_only"))
    with db.session() as session:
        person = _person(session, name)
        assert person.id is not None  # read from the store
        have = _roles(session, person.id)
        after = (have | set(add)) - set(remove)
        _check_roles(after, person.clearance)
        _require_may_change(session, operator, person, add)
        if Role.ADMIN in have - after and person.active and _active_admins(session) < 2:
            raise AccountError(t("auth.last_admin"))
        for role in set(add) - have:
            session.add(PersonRole(person_id=person.id, role=role.value))
        for role in (set(remove) & have) - set(add):
            gone = session.get(PersonRole, (person.id, role.value))
            if gone is not None:
                session.delete(gone)
        detail = f"roles {','.join(sorted(r.value for r in after))}; clearance {person.clearance}"
        audit.record(session, operator, "account_changed", "person", person.id or "", detail, now)


def set_clearance(
    db: Database, operator: Operator, name: str, clearance: Classification | str, now: datetime
) -> None:
    """Set one person's clearance (涉密等级, and so their 涉密人员类别): the security officer's act.

    Raises:
        AccessDenied: the operator is not the security officer.
        AccountError: their own clearance (nobody clears themselves), or a classified
            clearance for a system administrator (who holds none).

    """
    _require_security_officer(operator)
    level = Classification(clearance)
    with db.session() as session:
        person = _person(session, name)
        assert person.id is not None  # read from the store
        if person.id == operator.id or person.name == operator.name:
            raise AccountError(t("auth.own_clearance"))
        if not may_hold_clearance(_roles(session, person.id), level):
            raise AccountError(t("auth.admin_no_clearance"))
        person.clearance = level
        session.add(person)
        detail = f"clearance {level.value}"
        audit.record(session, operator, "clearance_set", "person", person.id, detail, now)
