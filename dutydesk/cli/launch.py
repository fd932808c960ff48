"""The ``dutydesk`` entry point, and the shortest path from the shell to the console.

``dutydesk`` with only ``--db``/``--now``/``--lang`` opens the console without importing
the CLI framework (typer and its click cost ~90 ms here, against a 500 ms budget for the
first rows on screen). Anything else (a sub-command, ``--help``, ``--version``, an
unknown option) goes to :mod:`dutydesk.cli.app`, which owns the full command line and its help.

Both paths share :mod:`dutydesk.cli.runtime` (choosing the database, clock and language,
opening the console, and :func:`~dutydesk.cli.runtime.guarded`: every error one line).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from dutydesk.cli.runtime import clock_for, database_for, guarded, language_for, open_console
from dutydesk.config import load_settings

CONSOLE_OPTIONS = ("--db", "--now", "--lang")
"""The options of the bare ``dutydesk`` command (the console); each takes one value."""

COMPLETION_VARIABLE = "_DUTYDESK_COMPLETE"
"""Set by the shell completion script, which runs ``dutydesk`` with no arguments: that
run is click's completion, never the console (issue 16)."""


def console_arguments(argv: Sequence[str]) -> dict[str, str] | None:
    """The console options in ``argv``, or ``None`` if it asks for anything else."""
    values: dict[str, str] = {}
    items = list(argv)
    while items:
        item = items.pop(0)
        name, equals, value = item.partition("=")
        if name not in CONSOLE_OPTIONS or name in values:
            return None
        if not equals:
            if not items:
                return None  # a missing value: let the full CLI explain it
            value = items.pop(0)
        values[name] = value
    return values


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``dutydesk`` script."""
    args = list(sys.argv[1:] if argv is None else argv)
    options = None if COMPLETION_VARIABLE in os.environ else console_arguments(args)
    if options is None:
        from dutydesk.cli.app import main as cli_main

        cli_main(args, whole_process=argv is None)
        return

    def console() -> int:
        settings = load_settings()
        return open_console(
            settings,
            database_for(settings, options.get("--db")),
            clock_for(settings, options.get("--now")),
            language_for(settings, options.get("--lang")),
        )

    sys.exit(guarded(console))
