"""Signing in: PIN hashes, the signed-in :class:`Operator`, and lockout.

PINs (or passphrases) are hashed with the standard library's ``hashlib.scrypt``:
N = 2**17, r = 8, p = 1 (128 MiB of memory, 0.3 to 1 s), a 16-byte random salt and a
32-byte derived key, stored as ``scrypt$131072$8$1$<salt>$<key>`` (base64). The stored
form names its parameters, so hashes made with older, weaker ones (N = 2**14 before)
still verify; a successful sign-in re-hashes the PIN with the current parameters and
records a ``pin_rehashed`` audit event. The demo's hashes are the exception: its PINs
are published, so they are hashed cheaply (N = 2**10) and left so.
Comparison is constant-time (``hmac.compare_digest``).

Five wrong PINs in a row (``Settings.lockout_attempts``) lock the account for five minutes
(``Settings.lockout_minutes``). Every failure, every lockout and every attempt on a locked
account is an audit event; a PIN never is, nor is any part of it.

A database where nobody has a PIN yet (never ``dutydesk init``-ed) has no sign-in: see
:func:`sign_in_required`.

A PIN someone else set (a reset, ``pin_reset`` in the audit trail) must be replaced by
its owner before anything else: :func:`authenticate` refuses with
:class:`NewPinRequired`, naming who reset it and when, until it is called again with the
owner's ``new_pin`` (issue 17: whoever chose the PIN could otherwise sign in as them).
A PIN shorter than the account's rule (``pin_min_classified`` above internal, set before
the rule or under a shorter one) is treated the same way: it still opens the account, but
only to choose a long enough one, so nobody is locked out and no short PIN lasts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from dutydesk.config import Settings
from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.records import record
from dutydesk.rules.access import after_failure, is_locked
from dutydesk.rules.policy import may_see
from dutydesk.services.accounts.sign_in import sign_in_required
from dutydesk.storage.engine import Database
from dutydesk.vocab import DEMO_KEY, Classification, Role

if TYPE_CHECKING:
    from dutydesk.storage.models import Credential, Person

# SQLModel and the tables (~0.9 s with the chain hooks they pull in) are imported only
# where a sign-in writes: a failure, a lockout, a re-hash, a new PIN. A plain successful
# sign-in of a CLI command is read with plain SQL (:func:`_quiet_success`, issue 16).


SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MAX_MEMORY = 2**30
"""The most memory a stored hash may ask scrypt for (N = 2**20 at r = 8): a damaged or
planted hash cannot make a sign-in allocate without bound."""


class AuthError(DutyDeskError):
    """Sign-in failed: unknown name, wrong PIN, disabled account, or no PIN set."""

    exit_code = 3


class LockedError(AuthError):
    """Too many wrong PINs: the account is locked for a while."""


class NewPinRequired(AuthError):
    """The PIN matched, but someone else set it: its owner must choose their own first."""


@record
class Reset:
    """Who set a person's current PIN for them, and when (a reset not yet replaced)."""

    by: str
    at: datetime


def pending_reset(session: object, person_id: int) -> Reset | None:
    """The reset that set ``person_id``'s current PIN, or ``None`` if they chose it.

    Read from the audit trail (on the hash chain, so not quietly erasable): the newest
    PIN event of the person decides; ``pin_reset`` is one made by someone else.
    """
    from sqlmodel import select

    from dutydesk.storage.engine import as_utc
    from dutydesk.storage.models import AuditEvent, Person

    row = session.exec(  # type: ignore[attr-defined]
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.occurred_at)
        .where(
            AuditEvent.object_type == "person",
            AuditEvent.object_id == str(person_id),
            AuditEvent.action.in_(("pin_changed", "pin_reset")),  # type: ignore[attr-defined]
        )
        .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()
    if row is None or row[0] != "pin_reset":
        return None
    actor = session.get(Person, row[1]) if row[1] is not None else None  # type: ignore[attr-defined]
    at = as_utc(row[2])
    assert at is not None  # a NOT NULL column
    return Reset(actor.name if actor is not None else "?", at)


@record
class Operator:
    """A signed-in person, as every service that acts or reads on someone's behalf sees it."""

    id: int | None
    """Person id; ``None`` only on a database without sign-in (no PINs set)."""
    name: str
    roles: frozenset[Role]
    clearance: Classification

    def has(self, role: Role) -> bool:
        """True if the operator holds ``role``."""
        return role in self.roles

    def may_see(self, classification: Classification | str) -> bool:
        """True if cleared for content at ``classification`` (roles grant nothing here)."""
        return may_see(self.clearance, classification)


def _memory(n: int, r: int, p: int) -> int:
    # What OpenSSL's scrypt allocates (128·r·(N + 2) for V, 128·r·p for B), plus room;
    # hashlib's default limit (32 MiB) is below N = 2**17's 128 MiB.
    return 128 * r * (n + 2 + p) + 2**20


def hash_pin(pin: str, *, n: int = SCRYPT_N) -> str:
    """A salted scrypt hash of ``pin`` in the self-describing stored form.

    Args:
        pin: the PIN or passphrase.
        n: scrypt's cost; lower it only for PINs that are public anyway (the demo's).

    """
    salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(
        pin.encode("utf-8"),
        salt=salt,
        n=n,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=KEY_BYTES,
        maxmem=_memory(n, SCRYPT_R, SCRYPT_P),
    )
    encode = base64.b64encode
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(key).decode()}"


def check_pin(pin: str, stored: str) -> bool:
    """True if ``pin`` matches ``stored`` (constant-time); False for a malformed hash."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        memory = _memory(int(n), int(r), int(p))
        if memory > MAX_MEMORY:
            return False
        actual = hashlib.scrypt(
            pin.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=memory,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    """True if ``stored`` was made with weaker parameters than today's (or is unreadable)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        weaker = (
            int(n) < SCRYPT_N
            or int(r) < SCRYPT_R
            or int(p) < SCRYPT_P
            or len(base64.b64decode(salt)) < SALT_BYTES
            or len(base64.b64decode(key)) < KEY_BYTES
        )
    except (ValueError, TypeError):
        return True
    return scheme != "scrypt" or weaker


@cache
def _stand_in() -> str:
    """A hash at today's cost to check a PIN against when the name is unknown."""
    return hash_pin(secrets.token_urlsafe(16))


def operator_of(session: object, person: Person) -> Operator:
    """The :class:`Operator` view of ``person`` (roles read in ``session``)."""
    from sqlmodel import select

    from dutydesk.storage.models import PersonRole

    roles = session.exec(  # type: ignore[attr-defined]
        select(PersonRole.role).where(PersonRole.person_id == person.id)
    ).all()
    return Operator(
        person.id, person.name, frozenset(Role(r) for r in roles), Classification(person.clearance)
    )


def authenticate(
    db: Database,
    name: str,
    pin: str,
    now: datetime,
    *,
    settings: Settings | None = None,
    record_success: bool = True,
    new_pin: str | None = None,
) -> Operator:
    """Check ``name`` and ``pin``; return the operator or raise a clear error.

    The PIN is hashed before the write lock is taken; the lockout state is then read
    and updated in one ``BEGIN IMMEDIATE`` transaction, so two consoles guessing at once
    both count.

    Args:
        db: the store.
        name: the person's name as typed or chosen.
        pin: the PIN or passphrase; never stored, logged or put in a message.
        now: the moment (aware).
        settings: lockout attempts and minutes; defaults when ``None``.
        record_success: write a ``sign_in`` audit event on success (the console does;
            a CLI command attributes its own action instead).
        new_pin: the owner's own new PIN, set in the same transaction when ``pin``
            matches (``pin_changed``); required after a reset.

    Raises:
        AuthError: unknown name, disabled account, no PIN set, a wrong PIN, or an
            unusable ``new_pin``.
        NewPinRequired: the PIN matched but was reset by someone else; no ``new_pin``.
        LockedError: the account is locked (now, or by this failure).

    """
    settings = settings or Settings()
    new_hash = _new_pin_hash(new_pin, pin)
    who = name.strip()
    stored = db.read(
        "SELECT c.pin_hash, EXISTS (SELECT 1 FROM meta WHERE key = :demo)"
        " FROM credential c JOIN person p ON p.id = c.person_id WHERE p.name = :name",
        {"name": who, "demo": DEMO_KEY},
    )
    # Always spend the hashing time, so a missing name answers no faster than a wrong PIN.
    old_hash, demo = (str(stored[0][0]), bool(stored[0][1])) if stored else (_stand_in(), True)
    matched = check_pin(pin, old_hash)
    # Re-hash a weak hash now, before the write lock is taken (it costs up to a second);
    # stored below only if the sign-in succeeds and nobody changed the PIN meanwhile.
    upgrade = hash_pin(pin) if matched and not demo and needs_rehash(old_hash) else None
    if matched and upgrade is None and new_hash is None and not record_success:
        quiet = _quiet_success(db, who, old_hash, len(pin), settings)
        if quiet is not None:
            return quiet
    return _sign_in_written(
        db,
        who,
        now,
        Change(old_hash, upgrade, new_hash, len(new_pin or ""), len(pin)),
        matched=matched,
        settings=settings,
        record_success=record_success,
    )


def _quiet_success(
    db: Database, who: str, old_hash: str, given_length: int, settings: Settings
) -> Operator | None:
    """The operator, when a matching PIN's sign-in would write nothing; else ``None``.

    A CLI command signs in without a ``sign_in`` event (it records its own action), so a
    sign-in that resets no failure count, lifts no lock, re-hashes nothing and waits for
    no new PIN changes no row: it is read in one snapshot with plain SQL, and SQLModel is
    not imported (0.9 s of a 1.7 s command, issue 16). Anything else (``None``) goes the
    written way, which decides and records it in its write transaction. A failure counted
    by another process after this read is ordered after this sign-in, as it would be had
    this one taken the write lock first (its reset of a zero count writes nothing).
    """
    with db.snapshot() as query:
        found = list(
            query(
                "SELECT p.id, p.name, p.active, p.clearance, c.pin_hash, c.failed_attempts,"
                " c.locked_until FROM person p JOIN credential c ON c.person_id = p.id"
                " WHERE p.name = :name",
                {"name": who},
            )
        )
        if len(found) != 1:
            return None
        person_id, name, active, clearance, pin_hash, failed, locked_until = found[0]
        if not active or pin_hash != old_hash or failed or locked_until is not None:
            return None
        if given_length < _shortest_for(Classification(clearance), settings):
            return None
        last_pin_event = list(
            query(
                "SELECT action FROM audit_event WHERE object_type = 'person'"
                " AND object_id = :id AND action IN ('pin_changed', 'pin_reset')"
                " ORDER BY id DESC LIMIT 1",
                {"id": str(person_id)},
            )
        )
        if last_pin_event and last_pin_event[0][0] == "pin_reset":
            return None  # refused the written way, with its audit event
        roles = query("SELECT role FROM person_role WHERE person_id = :id", {"id": person_id})
        held = frozenset(Role(row[0]) for row in roles)
    return Operator(int(person_id), str(name), held, Classification(clearance))


def _sign_in_written(
    db: Database,
    who: str,
    now: datetime,
    change: Change,
    *,
    matched: bool,
    settings: Settings,
    record_success: bool,
) -> Operator:
    """Sign in through the ORM, in one write transaction: failures, locks and changes."""
    from sqlmodel import select

    from dutydesk.services.accounts import audit
    from dutydesk.storage.models import Credential, Person

    failure: AuthError | None = None
    with db.session() as session:
        person = session.exec(select(Person).where(Person.name == who)).first()
        credential = session.get(Credential, person.id) if person is not None else None
        if person is None:
            audit.record(
                session, None, "sign_in_failed", "person", "", f"unknown name {who!r}", now
            )
            failure = AuthError(t("auth.unknown", name=who))
        elif not person.active:
            audit.record(
                session, person.id, "sign_in_refused", "person", person.id, "disabled", now
            )
            failure = AuthError(t("auth.disabled", name=who))
        elif credential is None:
            audit.record(session, person.id, "sign_in_refused", "person", person.id, "no PIN", now)
            failure = AuthError(t("auth.no_pin", name=who))
        elif is_locked(credential.locked_until, now):
            until = credential.locked_until
            assert until is not None
            audit.record(session, person.id, "sign_in_refused", "person", person.id, "locked", now)
            failure = LockedError(t("auth.locked", name=who, until=_local(until, settings)))
        elif not matched:
            attempt = after_failure(
                credential.failed_attempts,
                now,
                attempts=settings.lockout_attempts,
                minutes=settings.lockout_minutes,
            )
            credential.failed_attempts = attempt.failed_attempts
            credential.locked_until = attempt.locked_until or credential.locked_until
            session.add(credential)
            audit.record(
                session, person.id, "sign_in_failed", "person", person.id, "wrong PIN", now
            )
            if attempt.locked_until is not None:
                detail = f"locked for {settings.lockout_minutes} min"
                audit.record(session, person.id, "account_locked", "person", person.id, detail, now)
                until_text = _local(attempt.locked_until, settings)
                failure = LockedError(t("auth.locked_now", name=who, until=until_text))
            else:
                left = settings.lockout_attempts - attempt.failed_attempts
                failure = AuthError(t("auth.wrong_pin", name=who, left=left))
        else:
            accepted = _accept(
                session,
                person,
                credential,
                change,
                now,
                settings=settings,
                record_success=record_success,
            )
            if isinstance(accepted, Operator):
                return accepted
            failure = accepted
    assert failure is not None  # every other branch set it
    raise failure


def _new_pin_hash(new_pin: str | None, pin: str) -> str | None:
    """The hash of the owner's new PIN (before any lock), or ``None`` when none is given.

    Raises:
        AuthError: the new PIN is unusable, or the same as the one given to them.

    """
    if new_pin is None:
        return None
    from dutydesk.rules.access import pin_problem

    problem = pin_problem(new_pin)
    if problem is not None:
        raise AuthError(t(problem))
    if new_pin == pin:
        raise AuthError(t("auth.reset_same"))
    return hash_pin(new_pin)


@record
class Change:
    """What a matching sign-in may store: a stronger hash of the same PIN, or a new PIN."""

    old_hash: str
    upgrade: str | None
    new_hash: str | None
    new_length: int = 0
    """The new PIN's length: an account cleared above internal needs a longer one."""
    given_length: int = 0
    """The length of the PIN that matched: a shorter one than the rule must be replaced."""


def _accept(
    session: Any,
    person: Person,
    credential: Credential,
    change: Change,
    now: datetime,
    *,
    settings: Settings,
    record_success: bool,
) -> Operator | AuthError:
    """The PIN matched: the operator, or a refusal while a reset waits for a new PIN."""
    from dutydesk.services.accounts import audit

    assert person.id is not None  # read from the store
    reset = pending_reset(session, person.id) if change.new_hash is None else None
    if reset is not None:
        audit.record(session, person.id, "sign_in_refused", "person", person.id, "PIN reset", now)
        when = reset.at.astimezone(settings.tz).strftime("%m-%d %H:%M")
        return NewPinRequired(t("auth.reset_pending", name=person.name, by=reset.by, at=when))
    shortest = _shortest_pin(person, settings)
    if change.new_hash is None and change.given_length < shortest:
        # Issue 17: a short PIN above internal (set before the rule, or under a shorter
        # one) falls to an offline search in seconds; it opens the account only to be
        # replaced, like a reset one, so its owner is not locked out.
        audit.record(session, person.id, "sign_in_refused", "person", person.id, "PIN short", now)
        return NewPinRequired(t("auth.pin_short_pending", name=person.name, min=shortest))
    if change.new_hash is not None and change.new_length < shortest:
        # Issue 17: checked once the account (and so its clearance) is known.
        return AuthError(t("auth.pin_too_short_classified", min=shortest))
    credential.failed_attempts, credential.locked_until = 0, None
    if change.new_hash is not None:
        credential.pin_hash, credential.changed_at = change.new_hash, now
        audit.record(session, person.id, "pin_changed", "person", person.id, "", now)
    elif change.upgrade is not None and credential.pin_hash == change.old_hash:
        credential.pin_hash = change.upgrade
        detail = f"scrypt N={SCRYPT_N} r={SCRYPT_R} p={SCRYPT_P}"
        audit.record(session, person.id, "pin_rehashed", "person", person.id, detail, now)
    session.add(credential)
    if record_success:
        audit.record(session, person.id, "sign_in", "person", person.id, "", now)
    return operator_of(session, person)


def _shortest_pin(person: Person, settings: Settings) -> int:
    """The shortest PIN ``person`` may choose: longer above internal (issue 17)."""
    return _shortest_for(Classification(person.clearance), settings)


def _shortest_for(clearance: Classification, settings: Settings) -> int:
    """The shortest PIN of an account cleared to ``clearance``."""
    from dutydesk.rules.access import MIN_PIN_LENGTH

    if clearance.is_classified:
        return max(settings.pin_min_classified, MIN_PIN_LENGTH)
    return MIN_PIN_LENGTH


def _local(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%H:%M")


__all__ = ["sign_in_required"]  # re-exported: the light check lives in services.sign_in
