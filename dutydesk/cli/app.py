"""The ``dutydesk`` command. With no sub-command it opens the console.

The script's entry point is :func:`dutydesk.cli.launch.main`, which opens the console directly
when no sub-command is given and hands everything else to :func:`main` here.

This module must stay light: it never imports Textual at module level (the console is
imported inside the code path that opens it) and defers SQLModel/SQLAlchemy to the
commands that write. A test checks ``import dutydesk.cli.app`` leaves ``textual`` unloaded.
Errors become one line on stderr (:func:`dutydesk.cli.launch.guarded`).
"""

# No `from __future__ import annotations` here: typer reads each command's annotations
# at every run, and string ones are compiled and evaluated each time (~4 ms of
# `incident add`, issue 16).

import contextlib
import copy
import gc
import importlib
import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from dutydesk import __version__
from dutydesk.cli.runtime import clock_for, database_for, guarded, language_for, open_console
from dutydesk.config import Settings, data_dir, load_settings
from dutydesk.errors import ConfigError
from dutydesk.i18n import set_language, t
from dutydesk.storage.engine import Database, url_for

COMMAND_MODULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("incident", ("incident_app",), ("incident",)),
    ("accounts", ("register",), ("init", "user", "audit")),
    ("integrity", ("register",), ("verify", "backup", "key")),
    ("roster", ("roster_app",), ("roster",)),
    ("leave", ("leave_app",), ("leave",)),
    ("handover", ("handover_app",), ("handover",)),
    ("bulletin", ("bulletin_app",), ("bulletin",)),
    ("export", ("export_app",), ("export",)),
    ("drill", ("drill_app",), ("drill",)),
    ("trends", ("trends_app", "report_app"), ("trends", "report")),
    ("deployment", ("deployment_app",), ("deployment",)),  # issue 13: between deployments
    ("serve", ("register",), ("serve",)),  # issue 15: the console in a browser
)
"""Each module of ``dutydesk.cli.commands``, what it adds to the root, and the names it adds.

In the order of ``dutydesk --help``. A typer sub-app is added with ``add_typer``; a
``register`` function adds its commands itself.
"""

ROOT_OPTIONS = ("--db", "--now", "--lang")
"""The root options that take a value: skipped when looking for the sub-command's name."""


def command_name(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names, or ``None`` (help, ``--version``, an option first)."""
    items = iter(argv)
    for item in items:
        if item in ROOT_OPTIONS:
            next(items, None)
        elif not item.startswith(ROOT_OPTIONS):
            return None if item.startswith("-") else item
    return None


def sub_command_name(argv: list[str], command: str) -> str | None:
    """The word right after ``command`` in ``argv`` (``list`` in ``incident list``), if any.

    ``None`` when an option comes first (a group's own option may take a value, so the
    next word is not surely a sub-command) or nothing follows.
    """
    items = iter(argv)
    for item in items:
        if item in ROOT_OPTIONS:
            next(items, None)
        elif item == command:
            following = next(items, None)
            return None if following is None or following.startswith("-") else following
        elif not item.startswith(ROOT_OPTIONS):
            return None
    return None


def only_command(group: typer.Typer, name: str | None) -> typer.Typer:
    """``group`` with only its command (or sub-group) ``name``, or ``group`` when none matches.

    typer turns every command of a group into click objects (reading each signature and
    its annotations) when the line is run, though click then calls one: ~14 ms of CPU of
    the 9 in ``incident`` (issue 16). A copy keeps the group's own settings and callback
    and lists one command; a name that matches none (a typo, ``--help``) keeps them all,
    so that click's "did you mean" and the group's help see every one.
    """
    commands = [
        info
        for info in group.registered_commands
        if info.callback is not None
        and (info.name or info.callback.__name__.lower().replace("_", "-")) == name
    ]
    groups = [
        info
        for info in group.registered_groups
        if info.typer_instance is not None and (info.name or info.typer_instance.info.name) == name
    ]
    if name is None or not (commands or groups):
        return group
    trimmed = copy.copy(group)
    trimmed.registered_commands = commands
    trimmed.registered_groups = groups
    return trimmed


def build_app(command: str | None = None, sub_command: str | None = None) -> typer.Typer:
    """The ``dutydesk`` command line: every sub-command, or only ``command``'s module.

    Building every command (57 of them) and importing their modules costs ~0.3 s of
    click objects and ~0.3 s of imports on a loaded machine; one command needs one
    module (issue 16). A name no module adds (a typo, ``demo``, none at all) gets the
    whole line, so that click's errors, help and shell completion see every command.
    Within a group (``incident``), ``sub_command`` keeps only that one
    (:func:`only_command`).
    """
    root = typer.Typer(
        name="dutydesk",
        help="A keyboard-driven console for a duty desk (值班室). "
        "Without a command: open the console.",
        invoke_without_command=True,
        no_args_is_help=False,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    chosen = [entry for entry in COMMAND_MODULES if command in entry[2]] or COMMAND_MODULES
    for module_name, attributes, _names in chosen:
        module = importlib.import_module(f"dutydesk.cli.commands.{module_name}")
        for attribute in attributes:
            member = getattr(module, attribute)
            if attribute == "register":
                member(root)
            elif member.info.name == command:
                root.add_typer(only_command(member, sub_command))
            else:
                root.add_typer(member)
    root.callback()(main_callback)
    if chosen is COMMAND_MODULES:  # the whole line (demo, help, a typo, completion)
        root.command()(demo)
    return root


def __getattr__(name: str) -> typer.Typer:
    """``dutydesk.cli.app.app``: the whole command line, built on first use (tests, docs)."""
    if name != "app":
        raise AttributeError(name)
    whole = build_app()
    globals()["app"] = whole
    return whole


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
        _echo_deployment(lang)
        raise typer.Exit(0)
    if ctx.invoked_subcommand is not None:
        # The language first, so that a sub-command refusing its options before it opens
        # the store already speaks it; a bad --lang or config is reported by that step.
        try:
            set_language(language_for(load_settings(), lang))
        except ConfigError:
            # The settings that failed are reported by the sub-command; say it in the
            # language --lang or the environment asks for (the file's is not known).
            with contextlib.suppress(ConfigError):
                set_language(language_for(Settings(), lang))
        return
    settings = load_settings()
    code = open_console(
        settings, database_for(settings, db), clock_for(settings, now), language_for(settings, lang)
    )
    if code:
        raise typer.Exit(code)


def _echo_deployment(lang: str | None) -> None:
    """The second line of ``--version``: which deployment these settings make (issue 13)."""
    settings = load_settings()  # a bad value: ConfigError, one line and exit 2 (guarded)
    set_language(language_for(settings, lang))
    mode = t(f"deployment.{settings.deployment}")
    typer.echo(t("deployment.version", mode=mode))


def _local(moment: datetime, settings: Settings) -> str:
    from dutydesk.reports.wording import stamp

    # The offset, not %Z: "CST" is China's and also the US's Central Standard Time.
    return stamp(moment, settings.tz)


def default_demo_path() -> Path:
    """Where ``dutydesk demo`` writes unless told otherwise: beside, never into, the real log."""
    return data_dir() / "demo.sqlite3"


def demo(
    ctx: typer.Context,
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
    from dutydesk.cli.commands.demo_view import accounts_table
    from dutydesk.services.demo.load import load_demo

    settings = load_settings()
    root = ctx.find_root().params  # `dutydesk --db X demo` means the same as `demo --db X`
    db, now, lang = db or root.get("db"), now or root.get("now"), lang or root.get("lang")
    language = language_for(settings, lang)
    set_language(language)
    database = Database(url_for(db) if db else url_for(str(default_demo_path())))
    clock = clock_for(settings, now)
    moment = clock.now()
    report = load_demo(database, moment, settings=settings, replace=replace)
    where = database.describe()
    if report.already_loaded:
        loaded = _local(report.loaded_at, settings)
        typer.echo(t("demo.already", where=where, loaded=loaded), err=True)
    else:
        counts = {key: getattr(report, key) for key in ("incidents", "entries", "people")}
        counts |= {"shifts": report.shifts, "leave": report.leave}
        typer.echo(t("demo.written", where=where, **counts), err=True)
    if report.accounts:  # demo data only: these PINs are published in data/demo/night.toml
        typer.echo(t("demo.accounts", now=_local(moment, settings)), err=True)
        typer.echo(accounts_table(report.accounts))
    if not open_:
        # Quoted for the shell: a folder such as "值班 室#1" is one argument when pasted.
        typer.echo(t("demo.open_with", where=shlex.quote(where)), err=True)
        return
    code = open_console(settings, database, clock, language)
    if code:
        raise typer.Exit(code)


def _early_language(argv: list[str] | None) -> None:
    """Speak ``--lang`` (or the environment's) before click resolves the sub-command.

    Click refuses an unknown command before the main callback runs, so the callback's
    own choice of language comes too late for that one line.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    lang: str | None = None
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            lang = args[index + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    with contextlib.suppress(ConfigError):
        set_language(language_for(Settings(), lang))


def main(argv: list[str] | None = None, *, whole_process: bool = False) -> None:
    """Run the full command line (the launcher hands over everything but the bare console).

    ``whole_process``: this command is the process's (the shell's ``dutydesk``), not a
    call among others (tests, an embedding program): what start-up made is frozen.
    """
    if whole_process:
        # What start-up made so far (the interpreter's, typer's and click's modules,
        # the settings) lives as long as the process: frozen, it is no longer walked by
        # each full collection that the command's own imports set off (~28 M
        # instructions, ~5% of a command; issue 16). Garbage made from here on is
        # collected as before. Never in-process: a caller's garbage would stay.
        gc.freeze()

    def run() -> int:
        _early_language(argv)
        try:
            args = list(sys.argv[1:] if argv is None else argv)
            name = command_name(args)
            sub = None if name is None else sub_command_name(args, name)
            build_app(name, sub)(args=args, prog_name="dutydesk", standalone_mode=False)
        except typer.Exit as exc:
            return exc.exit_code
        except typer.Abort:
            return 130
        except typer.BadParameter as exc:
            # One line, as every input error: which option, and what it takes. The value
            # was typed by someone, so it is shown as data (sanitised), never as markup.
            from dutydesk.cli.usage import usage_line
            from dutydesk.rules.sanitize import one_line

            text = exc.format_message().replace("Value error, ", "")
            line = usage_line(exc) or t("cli.error.line", message=text)
            print(one_line(line), file=sys.stderr)
            return 2
        except typer.exceptions.TyperException as exc:
            # Usage errors (unknown command, bad option): click's own short message, or
            # ours in one line where click has no words in the interface language.
            from dutydesk.cli.usage import usage_line
            from dutydesk.rules.sanitize import one_line

            said = usage_line(exc)
            if said is not None:
                print(one_line(said), file=sys.stderr)
                return int(getattr(exc, "exit_code", 2))
            show = getattr(exc, "show", None)
            if show is not None:
                show()
            return int(getattr(exc, "exit_code", 2))
        return 0

    code = guarded(run)
    if code:
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
