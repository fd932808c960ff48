"""``dutydesk serve``: the console in a browser, on this machine or the office network.

Examples::

    dutydesk serve                                   # http://127.0.0.1:8000, this machine
    dutydesk serve --host 10.2.0.5 --allow-network --public-url https://duty.example.gov.cn

Each browser connection runs its own console process on its sign-in screen
(:mod:`dutydesk.web.session`); the same need-to-know and audit as at a terminal. The
address is checked here before anything starts: anything but loopback is refused in one
line unless ``--allow-network`` says the office means it, and then a one-line warning
says to put TLS and the office's proxy in front. textual-serve and its web server are
imported only inside the command (``pip install 'dutydesk[serve]'``); the CLI never
loads them, nor Textual.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import typer

from dutydesk.cli.commands.context import DbOption, open_env
from dutydesk.cli.commands.output import message
from dutydesk.cli.commands.parsing import InputError
from dutydesk.errors import ConfigError
from dutydesk.i18n import current_language, t
from dutydesk.web.address import is_loopback


def checked_public_url(value: str) -> str:
    """``--public-url`` without a trailing slash (the page's URLs are appended to it).

    Raises:
        InputError: not an http or https URL with a host.

    """
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise InputError(t("serve.bad_public_url", value=value))
    return value.strip().rstrip("/")


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the root command."""
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    db: DbOption = None,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to listen on; anything but loopback needs --allow-network."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    allow_network: Annotated[
        bool,
        typer.Option(
            "--allow-network",
            help="Allow a --host the network can reach (put TLS and a proxy in front).",
        ),
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="The URL browsers use, behind a proxy (e.g. https://duty.example.gov.cn).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the console to browsers; each signs in on its own (Ctrl+C stops)."""
    loopback = is_loopback(host)
    if not loopback and not allow_network:
        raise InputError(t("serve.needs_allow_network", host=host))
    if public_url is not None:
        public_url = checked_public_url(public_url)
    env = open_env(ctx, db)  # migrated and checked once, before any browser comes
    from dutydesk.services.accounts.sign_in import sign_in_required

    if not sign_in_required(env.db):
        raise InputError(t("serve.needs_sign_in"))
    try:
        from dutydesk.web.server import serve_console
    except ImportError:
        raise ConfigError(t("serve.not_installed")) from None
    if not loopback:
        message(t("serve.network_warning", host=host))
    environment = {"DUTYDESK_DATABASE_URL": env.db.url, "DUTYDESK_LANG": current_language()}
    now = ctx.find_root().params.get("now")
    if now:
        environment["DUTYDESK_NOW"] = now
    serve_console(environment, host, port, public_url)
