"""The ``dutydesk`` command. With no sub-command it opens the console.

This module must stay light: it never imports Textual at module level (the console is
imported inside the code path that opens it) and defers SQLModel/SQLAlchemy to the
commands that write. A test checks ``import dutydesk.cli`` leaves ``textual`` unloaded.

Errors a user can act on (:class:`dutydesk.errors.DutyDeskError`) are printed as one line
on stderr with their exit code (2 for an unusable database or configuration); any other
exception is reported in one line too, never as a traceback, unless ``DUTYDESK_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from dutydesk import __version__
from dutydesk.clock import Clock, FrozenClock, parse_moment
from dutydesk.commands.incident import incident_app
from dutydesk.config import Settings, data_dir, load_settings
from dutydesk.errors import ConfigError, DutyDeskError
from dutydesk.i18n import LANGUAGES, normalise_language, resolve_language, set_language
from dutydesk.store import Database, url_for

app = typer.Typer(
    name="dutydesk",
    help="A keyboard-driven console for a duty desk (值班室). Without a command: open the console.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(incident_app)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database file (or SQLAlchemy URL). Default: DUTYDESK_DATABASE_URL, the config "
        "file, else dutydesk.sqlite3 in the user data directory.",
        show_default=False,
    ),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="Pin the moment (ISO 8601, e.g. 2026-11-26T02:31+08:00); also DUTYDESK_NOW.",
        show_default=False,
    ),
]
LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Interface language: en or zh_CN (default: DUTYDESK_LANG, config file, LANG).",
        show_default=False,
    ),
]


def _fail(message: str, code: int) -> typer.Exit:
    """Print one line on stderr and return the exit to raise."""
    typer.echo(f"dutydesk: error: {message}", err=True)
    return typer.Exit(code)


def _settings() -> Settings:
    return load_settings()


def _database(settings: Settings, db: str | None) -> Database:
    chosen = db or settings.database_url
    return Database(url_for(chosen) if chosen else settings.default_database_url())


def _clock(settings: Settings, now: str | None) -> Clock:
    value = now or os.environ.get("DUTYDESK_NOW")
    if not value:
        return Clock()
    try:
        return FrozenClock(parse_moment(value, settings.tz))
    except ValueError as exc:
        raise ConfigError(f"--now: {exc}") from None


def _language(settings: Settings, lang: str | None) -> str:
    if lang is not None:
        chosen = normalise_language(lang)
        if chosen is None:
            raise ConfigError(f"--lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
        return chosen
    return resolve_language(settings.language)


def open_console(settings: Settings, database: Database, clock: Clock, language: str) -> None:
    """Migrate the database if needed and run the console until the user quits."""
    database.ensure_schema()
    set_language(language)
    from dutydesk.tui.app import run_console  # Textual is loaded only from here on

    code = run_console(database, settings, clock, language)
    if code:
        raise typer.Exit(code)


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    """Open the duty console (值班台) on the database, creating it on first run."""
    if version:
        typer.echo(f"dutydesk {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    open_console(
        settings, _database(settings, db), _clock(settings, now), _language(settings, lang)
    )


def _local(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M %Z")


def default_demo_path() -> Path:
    """Where ``dutydesk demo`` writes unless told otherwise: beside, never into, the real log."""
    return data_dir() / "demo.sqlite3"


@app.command()
def demo(
    db: DbOption = None,
    now: NowOption = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Reload the demo for the current moment (demo databases only)."
        ),
    ] = False,
    open_: Annotated[
        bool, typer.Option("--open", help="Open the console on the demo database afterwards.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Load the demo night into a database (default: demo.sqlite3 in the user data directory).

    Times are relative to the moment of loading, so clocks and countdowns look live; --now
    pins that moment. Running it twice adds nothing the second time.
    """
    from dutydesk.services.demo import load_demo

    settings = _settings()
    database = Database(url_for(db) if db else url_for(str(default_demo_path())))
    clock = _clock(settings, now)
    report = load_demo(database, clock.now(), settings=settings, replace=replace)
    where = database.describe()
    if report.already_loaded:
        typer.echo(
            f"Demo data is already in {where} (loaded {_local(report.loaded_at, settings)}); "
            "nothing added. "
            "Use --replace to reload it for now.",
            err=True,
        )
    else:
        typer.echo(
            f"Demo data written to {where}: {report.incidents} incidents, "
            f"{report.entries} timeline entries, {report.people} people, "
            f"{report.shifts} shifts, {report.leave} leave registrations.",
            err=True,
        )
    if not open_:
        typer.echo(f"Open it with: dutydesk --db {where}", err=True)
        return
    open_console(settings, database, clock, _language(settings, lang))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``dutydesk`` script: run the app, turning errors into one line."""
    try:
        app(args=argv, prog_name="dutydesk", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except DutyDeskError as exc:
        typer.echo(f"dutydesk: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except typer.Abort:
        sys.exit(130)
    except typer.exceptions.TyperException as exc:
        # Usage errors (unknown command, bad option): click's own one-line message.
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except Exception as exc:
        if os.environ.get("DUTYDESK_DEBUG") == "1":
            raise
        typer.echo(
            f"dutydesk: unexpected error ({type(exc).__name__}); "
            "run again with DUTYDESK_DEBUG=1 to see the details",
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
