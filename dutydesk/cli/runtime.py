"""What the bare console and the typer commands share, without typer and without Textual.

Choosing the database, the clock and the language from the options and the settings;
preparing and opening the console; and :func:`guarded`, which turns an error a user can
act on into one line on stderr with its exit code, and anything unexpected into one line
too, never a traceback, unless ``DUTYDESK_DEBUG=1``.

:mod:`dutydesk.cli.launch` (the entry point) and :mod:`dutydesk.cli.app` (the typer app)
both import this module and never each other at import time, so the console's path
never loads typer and the command modules do not reach back into the launcher.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from dutydesk.clock import Clock, FrozenClock, parse_moment
from dutydesk.config import Settings
from dutydesk.errors import ConfigError, DutyDeskError
from dutydesk.i18n import LANGUAGES, normalise_language, resolve_language, set_language, t
from dutydesk.storage.engine import Database, url_for

if TYPE_CHECKING:
    from dutydesk.services.incidents.queue import QueueRow


def database_for(settings: Settings, db: str | None) -> Database:
    """The database named by ``--db``, else ``DUTYDESK_DATABASE_URL``/config, else default."""
    chosen = db or settings.database_url
    return Database(url_for(chosen) if chosen else settings.default_database_url())


def clock_for(settings: Settings, now: str | None) -> Clock:
    """The real clock, or one frozen at ``--now``/``DUTYDESK_NOW``.

    Raises:
        ConfigError: the moment cannot be read.

    """
    value = now or os.environ.get("DUTYDESK_NOW")
    if not value:
        return Clock()
    try:
        return FrozenClock(parse_moment(value, settings.tz))
    except ValueError:
        raise ConfigError(t("error.config.now", value=repr(value))) from None


def language_for(settings: Settings, lang: str | None) -> str:
    """``--lang`` if given, else DUTYDESK_LANG, the config file, LANG, English.

    Raises:
        ConfigError: ``--lang`` names no supported language.

    """
    if lang is not None:
        chosen = normalise_language(lang)
        if chosen is None:
            raise ConfigError(
                t("error.config.lang", allowed=", ".join(LANGUAGES), value=repr(lang))
            )
        return chosen
    return resolve_language(settings.language)


def open_console(settings: Settings, database: Database, clock: Clock, language: str) -> int:
    """Migrate the database if needed and run the console; return its exit code.

    A key file that other users may read stops the console in one line. The key ring
    itself is not loaded here: services open it lazily at the first sealed value a
    cleared viewer is shown, so the first frame never waits for ``cryptography``.
    """
    start = prepare_console(settings, database)
    set_language(language)
    from dutydesk.tui.app import run_console  # Textual is loaded only from here on

    return run_console(database, settings, clock, language, **start._asdict())


class ConsoleStart(NamedTuple):
    """What the launcher reads before the console exists (no event loop yet).

    A named tuple, not a frozen dataclass: every CLI command imports this module, and
    making the dataclass cost ~0.6 ms of CPU for a value only the console uses (issue 16).
    """

    first_rows: tuple[QueueRow, ...] | None
    """The top of the queue, or ``None`` when nothing may be read before sign-in."""
    sign_in: bool
    """Open on the sign-in screen."""
    names: tuple[str, ...] | None = None
    """With sign-in, the names its screen lists (read here, so its first frame has them)."""


def prepare_console(settings: Settings, database: Database) -> ConsoleStart:
    """Migrate if needed, check the key file, and read what the first frame shows.

    Everything here is plain SQL through the store's ``sqlite3`` path: SQLModel,
    SQLAlchemy and ``cryptography`` stay unloaded until a form or a sealed value needs
    them (``tests/test_cli.py`` checks the imports; ``tests/bench/bench_startup.py``
    times this path).
    """
    # quick_check in a thread: the first frame needs reads only; a write waits for it.
    if database.ensure_schema(check_in_background=True):  # migrated: the rules may have changed
        from datetime import UTC, datetime

        from dutydesk.services.incidents.upgrade import reclock_open

        reclock_open(database, settings, datetime.now(UTC))
    check_key_file_safe(settings, database)
    from dutydesk.services.accounts.sign_in import operator_names, sign_in_required

    # Once anyone has a PIN the console opens on the sign-in screen and reads nothing of
    # the record before someone signs in (nor imports the queue's services: issue 16),
    # only the names that screen lists, so its first frame has them (no worker, no second
    # layout when they land); otherwise the top of the queue (~2 ms on a million rows).
    if sign_in_required(database):
        return ConsoleStart(None, True, tuple(operator_names(database)))
    from dutydesk.services.incidents.queue import BLOCK_ROWS, fetch_window

    return ConsoleStart(tuple(fetch_window(database, 0, BLOCK_ROWS)), False)


def check_key_file_safe(settings: Settings, database: Database) -> None:
    """Refuse a key file readable by others (a ``stat``; no ``cryptography`` import).

    Raises:
        KeyFileError: the key file's mode allows group or other access.

    """
    from dutydesk.storage.key_file import check_key_file, key_file_for

    if database.path is None and not settings.key_file:
        return
    path = key_file_for(database.path, settings.key_file)
    if path.exists():
        check_key_file(path)


def warn_loose_files(database: Database) -> None:
    """One line on stderr when group or others may read the database files (issue 17)."""
    from dutydesk.rules.sanitize import one_line
    from dutydesk.storage.private import loose_database_line

    line = loose_database_line(database.path)
    if line is not None:
        print(one_line(line), file=sys.stderr)


def say_error(message: object) -> None:
    """Print ``message`` as the one error line on stderr, through the sanitiser.

    An error text quotes what someone typed or stored (a JSON key, an operator's name,
    a value refused): an escape sequence in it (OSC 52 writing the clipboard, a
    clear-screen) must reach the terminal as nothing, like stored text on any screen.
    """
    from dutydesk.rules.sanitize import one_line

    print(one_line(t("cli.error.line", message=message)), file=sys.stderr)


def guarded(action: Callable[[], int | None]) -> int:
    """Run ``action`` and turn every error into one line on stderr and an exit code."""
    try:
        code = action() or 0
        sys.stdout.flush()  # a full disk under a redirected stdout is said here, in words
        return code
    except DutyDeskError as exc:
        say_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except (OSError, UnicodeError) as exc:
        said = fault_line(exc)
        if said is None or os.environ.get("DUTYDESK_DEBUG") == "1":
            return _unexpected(exc)
        say_error(said)
        return 2
    except Exception as exc:  # the last line of defence: never a traceback
        return _unexpected(exc)


def fault_line(exc: OSError | UnicodeError) -> str | None:
    """What happened and what to do, for a fault of the machine or of the input bytes.

    A full disk or a size limit while writing a file or the output, a file the user may
    not read or write, text that is not UTF-8 (a lone surrogate: bytes that did not
    decode, or a ``\\ud800`` escape). ``None`` for anything else (said as unexpected).
    """
    import errno

    if isinstance(exc, UnicodeError):
        return t("cli.fault.not_utf8")
    where = exc.filename if exc.filename is not None else t("cli.fault.output")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return t("cli.fault.disk_full", file=where)
    if exc.errno == errno.EFBIG:
        return t("cli.fault.too_big", file=where)
    if isinstance(exc, PermissionError):
        return t("cli.fault.permission", file=where)
    if exc.filename is not None:
        return t("cli.fault.cannot_use", file=where, detail=exc.strerror or type(exc).__name__)
    return None


def _unexpected(exc: BaseException) -> int:
    """The last line of defence: one line naming the error's kind, never a traceback."""
    from dutydesk.errors import ServerUnreachable
    from dutydesk.storage.engine import server_gone, unreachable_error

    if server_gone(exc):  # wherever the driver met it (schema check, sign-in, ...)
        say_error(unreachable_error(exc))  # "too many connections" said as such
        return ServerUnreachable.exit_code
    if os.environ.get("DUTYDESK_DEBUG") == "1":
        raise exc
    print(
        t("cli.error.unexpected", kind=type(exc).__name__),
        file=sys.stderr,
    )
    return 1
