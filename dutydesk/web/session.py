"""One browser's console: the process textual-serve starts for each connection.

``dutydesk serve`` runs ``python -m dutydesk.web.session`` once per browser connection,
with Textual's web driver. The database, language and zone come from the server's
environment (``DUTYDESK_DATABASE_URL`` and the rest, set by :mod:`.server`), never from
the command line, where other users of the machine could read a server password.

Unlike the bare ``dutydesk`` console, this one refuses to open without sign-in: a
browser is not the OS user who started the server, so nobody may write under that
user's name. Each connection signs in on its own; the same need-to-know and audit
apply as at a terminal, because it is the same console.
"""

from __future__ import annotations

import sys

from dutydesk.cli.runtime import clock_for, database_for, guarded, language_for, prepare_console
from dutydesk.config import load_settings
from dutydesk.errors import ConfigError
from dutydesk.i18n import set_language, t


def run_session() -> int:
    """Open the console on its sign-in screen for one browser; its exit code.

    Raises:
        ConfigError: the database has no operator with a PIN (nobody could sign in).

    """
    settings = load_settings()
    database = database_for(settings, None)
    clock = clock_for(settings, None)
    language = language_for(settings, None)
    set_language(language)
    start = prepare_console(settings, database)
    if not start.sign_in:
        # Checked again here, not only when the server started: PINs may have been
        # removed since, and a console without sign-in runs as the server's OS user.
        raise ConfigError(t("serve.needs_sign_in"))
    from dutydesk.tui.app import run_console  # Textual is loaded only from here on

    return run_console(database, settings, clock, language, sign_in=True)


def main() -> None:
    """Entry point of ``python -m dutydesk.web.session``: errors as one line."""
    sys.exit(guarded(run_session))


if __name__ == "__main__":
    main()
