"""What every ``incident`` command needs: settings, store, clock, rules and the operator.

Options given before the sub-command (``dutydesk --db X --now T --lang zh_CN incident
...``) are read from the root command; ``--db`` may also follow the sub-command.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dutydesk.cli.commands.output import use_zone
from dutydesk.cli.commands.parsing import InputError
from dutydesk.config import Settings, load_settings
from dutydesk.errors import NoDatabase, NotFoundError
from dutydesk.i18n import set_language, t
from dutydesk.records import record
from dutydesk.rules.access import may_write_record
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification

if TYPE_CHECKING:
    from sqlmodel import Session

    from dutydesk.rules.deadlines import DeadlineRules
    from dutydesk.services.accounts.auth import Operator
    from dutydesk.services.request import Request
    from dutydesk.storage.crypto import KeyRing
    from dutydesk.storage.models import Incident

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database file or URL (default: as for dutydesk).", show_default=False
    ),
]
OperatorOption = Annotated[
    str | None,
    typer.Option(
        "--operator",
        envvar="DUTYDESK_OPERATOR",
        help="Who is writing (stored on the record); also DUTYDESK_OPERATOR.",
        show_default=False,
    ),
]
VersionOption = Annotated[
    int | None,
    typer.Option(
        "--expected-version",
        help="Refuse if the incident changed since you saw this version.",
        show_default=False,
    ),
]


def require_operator(operator: str | None) -> str:
    """The operator's name, or a one-line error asking for it."""
    if operator is None or not operator.strip():
        raise InputError(t("cli.no_operator"))
    return operator.strip()


class Env:
    """The resolved surroundings of one command run."""

    # A plain class, not a dataclass: its generated methods were compiled from source at
    # every command's import (issue 16), and an Env is never compared, copied or printed.
    def __init__(self, *, settings: Settings, db: Database, now: datetime) -> None:
        """The settings, the open database and the command's moment."""
        self.settings = settings
        self.db = db
        self.now = now

    @cached_property
    def rules(self) -> DeadlineRules:
        """Deadline rules: data/rules.toml with the config file's ``[rules]`` on top."""
        from dutydesk.services.office_rules import office_rules

        settings = self.settings
        return office_rules(
            settings.rules, settings.tz, settings.holidays_path(), settings.day_shift_start
        )

    @cached_property
    def keys(self) -> KeyRing | None:
        """The database's key ring, read once; ``None`` while it has none yet.

        A missing key file is not an error here (a classified write creates it; a read
        shows a placeholder); an unsafe or foreign one stops the command in one line.

        Raises:
            KeyFileError: the key file is readable by others or not a key file.

        """
        from dutydesk.services.integrity.sealed import key_path, ring_at
        from dutydesk.storage.crypto import KeyFileError

        try:
            path = key_path(self.db.path, self.settings.key_file)
        except KeyFileError:
            return None  # a server database without key_file: nothing sealed can be read
        return ring_at(path) if path.exists() else None

    def request(self, reader: Reader | None = None, *, actor: Operator | None = None) -> Request:
        """The request this command hands to services: the one way the CLI builds it.

        ``reader`` (from :func:`reader`) sets the clearance and the viewer audited for a
        classified read; ``actor`` (from :func:`signed_in`) is who writes. Neither: an
        internal read by nobody known. The key ring is read here (the command has
        already checked its file); the rules only when a service first asks for them.
        """
        from dutydesk.services.request import Request
        from dutydesk.vocab import Deployment

        return Request(
            db=self.db,
            now=self.now,
            tz=self.settings.tz,
            clearance=Classification.INTERNAL if reader is None else reader.clearance,
            viewer=None if reader is None else reader.viewer,
            actor_name="" if actor is None else actor.name,
            actor_id=None if actor is None else actor.id,
            keys=self.keys,
            deployment=Deployment(self.settings.deployment),
            limits=self.settings.field_limits(),
            rules_source=lambda: self.rules,
        )

    def incident(self, session: Session, serial: str) -> Incident:
        """The incident with ``serial``, read in ``session`` (inside its transaction)."""
        from sqlmodel import select

        from dutydesk.storage.models import Incident

        found = session.exec(select(Incident).where(Incident.serial == serial.strip())).first()
        if found is None:
            raise NotFoundError(t("cli.error.no_incident", serial=repr(serial.strip())))
        return found

    def entry_id(self, session: Session, incident: Incident, seq: int | None) -> int | None:
        """The id of entry number ``seq`` on the incident's timeline (``None`` for none)."""
        if seq is None:
            return None
        from sqlmodel import select

        from dutydesk.storage.models import TimelineEntry

        found: Any = session.exec(
            select(TimelineEntry.id).where(
                TimelineEntry.incident_id == incident.id, TimelineEntry.seq == seq
            )
        ).first()
        if found is None:
            raise InputError(t("cli.error.no_entry", serial=incident.serial, seq=seq))
        return int(found)


def open_env(ctx: typer.Context, db: str | None, *, create: bool = False) -> Env:
    """Resolve settings, language, store (migrated if needed) and the moment.

    Only ``create=True`` (``dutydesk init``) may make a new SQLite file; every other
    command refuses a missing one, so a mistyped ``--db`` is an error, not an empty
    database that answers "No incidents match." (``demo`` and the console create by
    their own paths). A server URL is never "missing": its database is made by its
    administrator, and an empty one is migrated as before.

    Raises:
        ConfigError: a bad --now, --lang or configuration.
        DatabaseError: the store cannot be used.
        NoDatabase: (without ``create``) the SQLite file does not exist, or is empty.

    """
    from dutydesk.cli.runtime import (
        check_key_file_safe,
        clock_for,
        database_for,
        language_for,
        warn_loose_files,
    )

    root: dict[str, Any] = ctx.find_root().params
    settings = load_settings()
    set_language(language_for(settings, root.get("lang")))
    use_zone(settings.tz)
    database = database_for(settings, db or root.get("db"))
    if not database.is_sqlite:
        # The server's connections go back when the command ends, not when the
        # collector finds the engine: a program (or benchmark) running commands in one
        # process held one per command and met the server's max_connections, which
        # the user was told as "cannot be reached". A SQLite file's connection is left
        # to the process's end: closing the last one checkpoints the write-ahead log,
        # which a one-shot command need not pay.
        ctx.call_on_close(database.close)
    if not create:
        refuse_missing(database)
        refuse_unmade(database)
    migrated = _ensure_schema(database, create=create)
    check_key_file_safe(settings, database)
    warn_loose_files(database)
    now = clock_for(settings, root.get("now")).now()
    if migrated:  # the rules may have changed with the release: the open clocks follow
        from dutydesk.services.incidents.upgrade import reclock_open

        reclock_open(database, settings, now)
    return Env(settings=settings, db=database, now=now)


def _ensure_schema(database: Database, *, create: bool) -> bool:
    """Make or migrate the schema; a file this call created is removed if that fails.

    As the console does: a new store made, an old one migrated. On a full disk SQLite
    leaves an empty or half-made file; ``init`` must not leave it behind for the next
    command to trip on.
    """
    path = database.path
    new = create and path is not None and not os.path.exists(path)
    try:
        return database.ensure_schema()
    except BaseException:
        if new and path is not None:
            database.close()
            sides = ("-wal", "-shm", "-journal", "-gate")  # -gate: storage.write_gate
            for leftover in [str(path), *(f"{path}{side}" for side in sides)]:
                with contextlib.suppress(OSError):
                    os.unlink(leftover)
        raise


def refuse_missing(database: Database) -> None:
    """Refuse, in one line, a SQLite file that does not exist or is empty (nothing is made).

    An empty file (0 bytes, no write-ahead log beside it) is no database either: SQLite
    would take it for a new one, and ``verify`` would migrate it and call the record
    intact. A full disk leaves such a file behind when a database could not be created.

    Only a stat: the file is never opened here outside SQLite (closing any descriptor of
    it would drop the locks SQLite holds on it).

    Raises:
        NoDatabase: ``database`` is a SQLite file path with nothing there (exit code 6).

    """
    path = database.path
    if path is None:
        return
    if not os.path.exists(path):
        raise NoDatabase(t("cli.no_database", path=path))
    if os.path.isfile(path) and _size(path) == 0 and not _size(f"{path}-wal"):
        raise NoDatabase(t("cli.empty_database", path=path))


def refuse_unmade(database: Database) -> None:
    """Refuse a SQLite file that holds no tables at all: a database never made.

    What a creation that failed half-way leaves (a full disk: a 4 KiB file with no
    schema). SQLite opens it; this only reads its catalogue, writing nothing. A server
    database is not refused: an empty one is made by its administrator and migrated.

    Raises:
        NoDatabase: the SQLite file holds no tables (exit code 6).
        DatabaseError: the path cannot be used, or is not a SQLite database.

    """
    from dutydesk.storage.engine import check_sqlite_file

    if database.path is None:
        return
    check_sqlite_file(database.path)
    if database.current_revision() is None:
        raise NoDatabase(t("cli.empty_database", path=database.path))


def _size(path: os.PathLike[str] | str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def signed_in(
    env: Env,
    operator: str | None,
    *,
    choose_pin: Callable[[], str] | None = None,
    desk: bool = True,
) -> Operator:
    """The operator of this command, signed in: the one helper every command calls.

    The name comes from ``--operator`` (or ``DUTYDESK_OPERATOR``); the PIN from
    ``DUTYDESK_PIN`` (for scripts) or else is asked on the terminal without echo. A PIN is
    never an option, so it stays out of shell history and the process list.

    On a database where nobody has a PIN yet (``dutydesk init`` never run) the name is
    taken as given, with no roles and internal clearance, as before sign-in existed.

    ``choose_pin`` asks for the operator's own new PIN after their PIN, and sets it as
    part of signing in (``user passwd`` of oneself: the way out of a PIN reset).

    ``desk``: the command writes the desk's record (the default, so a new command is
    gated unless it says otherwise), which needs a desk role (``rules.access.DESK_ROLES``);
    account, clearance, need-to-know and key commands pass ``False`` and check their own
    roles in their services.

    Raises:
        InputError: no operator named.
        AuthError: unknown name, wrong PIN, disabled or locked account.

    """
    from dutydesk.services.accounts.auth import Operator, authenticate, sign_in_required

    name = require_operator(operator)
    if not sign_in_required(env.db):
        return Operator(None, name, frozenset(), Classification.INTERNAL)
    pin = os.environ.get("DUTYDESK_PIN")
    if pin is None:
        if not _has_terminal():
            # getpass would fall back to reading standard input: in a cron job or a pipe
            # that is the first line of the data (``--json -``), taken as a wrong PIN,
            # and five such runs would lock the account.
            raise InputError(t("auth.pin_needed"))
        import getpass  # only to ask (termios with it): DUTYDESK_PIN needs neither

        try:
            pin = getpass.getpass(t("auth.pin_prompt", name=name))
        except EOFError:
            raise InputError(t("auth.pin_needed")) from None
    new_pin = choose_pin() if choose_pin is not None else None
    signed = authenticate(
        env.db, name, pin, env.now, settings=env.settings, record_success=False, new_pin=new_pin
    )
    if desk and not may_write_record(signed.roles):
        from dutydesk.services.accounts.audit import AccessDenied

        raise AccessDenied(t("access.no_desk_role", name=signed.name))
    return signed


def _has_terminal() -> bool:
    """True when a PIN can be asked on a terminal (not read from piped standard input)."""
    if os.name == "nt":
        return sys.stdin.isatty()
    try:
        with open("/dev/tty", "rb"):
            return True
    except OSError:
        return False


@record
class Reader:
    """Who reads, and how far they may see, for one command that shows records."""

    clearance: Classification
    viewer: Operator | None
    """``None`` only on a database without accounts when no classified content is asked."""

    @property
    def name(self) -> str | None:
        """The reader's name, when known (audit events and the pack's 'made by')."""
        return self.viewer.name if self.viewer is not None else None


def reader(env: Env, operator: str | None, wanted: str | None) -> Reader:
    """The one gate of every reading command: sign in, then the clearance to show.

    Once a database has accounts, reading is an operator's act like writing: the
    operator signs in (``--operator`` with the PIN asked, or ``DUTYDESK_OPERATOR`` plus
    ``DUTYDESK_PIN``). Output is internal unless ``--clearance`` asks for more, and more is
    granted only up to the signed-in operator's own clearance, so a name typed on the
    command line never opens classified content by itself.

    On a database without accounts (``dutydesk init`` never run) anyone who can open the
    file can read it anyway; there the named person's recorded clearance is the limit.

    Raises:
        InputError: a bad level, no operator named, or a level beyond the operator's.
        AuthError: wrong PIN, unknown, disabled or locked account.

    """
    from dutydesk.services.accounts.auth import sign_in_required

    level = _level(wanted)
    accounts = sign_in_required(env.db)
    if not accounts and level.level <= Classification.INTERNAL.level:
        return Reader(level, None)
    if not accounts and (operator is None or not operator.strip()):
        raise InputError(t("cli.error.clearance_operator"))
    who = signed_in(env, operator, desk=False)  # reading: every role reads (need-to-know decides)
    return Reader(clearance_for(env, who, wanted), who)


def _level(wanted: str | None) -> Classification:
    from dutydesk.cli.commands.parsing import choice

    return (
        Classification.INTERNAL if wanted is None else choice(Classification, wanted, "--clearance")
    )


def clearance_for(env: Env, who: Operator, wanted: str | None) -> Classification:
    """``--clearance`` (default internal) for a signed-in ``who``, never beyond theirs.

    Raises:
        InputError: a bad level, or one beyond the operator's clearance.

    """
    level = _level(wanted)
    cleared = who.clearance
    if who.id is None:  # no accounts: the person's recorded clearance
        rows = env.db.read("SELECT clearance FROM person WHERE name = :name", {"name": who.name})
        cleared = Classification(rows[0][0]) if rows else Classification.INTERNAL
    if cleared.level < level.level:
        raise InputError(t("cli.error.not_cleared", name=who.name, level=level.value))
    return level
