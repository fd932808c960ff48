"""The web server of ``dutydesk serve``: textual-serve with a page that stays on this machine.

textual-serve (pinned exactly) runs one console process per browser connection
(:mod:`.session`) and relays its screen over a websocket to xterm.js in the page. Its
stock page loads Roboto Mono from fonts.googleapis.com; an office network has no way
out, and a page that reaches one tells the outside who is on duty. So the page is our
own (``templates/app_index.html``): the script, the terminal's style sheet and Roboto
Mono are the package's own files, served from here, and Chinese falls back to a CJK
font installed on the reader's machine (no font CDN). ``tests/e2e/test_browser.py``
reads every URL the page requests and fails on any other host.

This module never imports Textual: the server process only relays bytes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

import textual_serve
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.sanitize import clean
from dutydesk.web.address import url_host

TEMPLATES = Path(__file__).resolve().parent / "templates"
"""Our page (``app_index.html``), in place of textual-serve's."""

STATIC = Path(textual_serve.__file__).resolve().parent / "static"
"""textual-serve's own files: textual.js (with xterm.js), xterm.css, Roboto Mono."""

TITLE = "dutydesk 值班台"

SESSION_COMMAND = shlex.join([sys.executable, "-m", "dutydesk.web.session"])
"""What runs for each browser: this interpreter, the console on its sign-in screen."""

NOT_INHERITED = ("DUTYDESK_OPERATOR", "DUTYDESK_PIN", "DUTYDESK_NEW_PIN")
"""Who started the server is nobody's identity in a browser: these never reach a session."""

log = logging.getLogger("dutydesk.serve")


class ServeError(DutyDeskError):
    """The server cannot start (the port is taken, the address is not this machine's)."""

    exit_code = 1


class OneLineFormatter(logging.Formatter):
    """Log records as one line each: an error's kind, never its traceback or locals.

    textual-serve logs a failed connection with its traceback (and Rich would add the
    local variables, which may hold a PIN typed on its way to a session). A line also
    carries what any client sent (the access log's request line and User-Agent, a
    refused Origin): it goes through the sanitiser, so no escape sequence in a header
    reaches the operator's terminal.
    """

    def formatException(self, ei: object) -> str:
        """Nothing: the record's message names the error."""
        return ""

    def format(self, record: logging.LogRecord) -> str:
        """The record in one line, with the kind of error if it carries one."""
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.msg} ({record.exc_info[0].__name__})"
        record.exc_info = None
        record.exc_text = None
        return clean(super().format(record))


class DeskServer(Server):
    """textual-serve's server with our page, one-line logs and a same-origin websocket."""

    def __init__(self, host: str, port: int, public_url: str | None) -> None:
        """Serve :data:`SESSION_COMMAND` on ``host:port``; ``public_url`` behind a proxy."""
        self._sockets: set[web.WebSocketResponse] = set()
        """The browsers connected now, closed first when the server stops."""
        super().__init__(
            SESSION_COMMAND,
            host=host,
            port=port,
            title=TITLE,
            public_url=public_url or f"http://{url_host(host)}:{port}",
            statics_path=STATIC,
            templates_path=TEMPLATES,
        )

    def initialize_logging(self) -> None:
        """Log to stderr, one line a record (connections, sessions that failed)."""
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineFormatter("%(asctime)s %(name)s %(message)s"))
        logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: :meth:`serve` says where once the port is bound (not before)."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every browser's websocket, so each session's console quits now.

        Left open, aiohttp waits for them up to its shutdown timeout (a minute) before
        Ctrl+C or SIGTERM takes effect, and the consoles run on meanwhile.
        """
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")

    async def _process_messages(
        self, websocket: web.WebSocketResponse, app_service: AppService
    ) -> None:
        """textual-serve's relay of one browser's keys, with the browser counted meanwhile."""
        self._sockets.add(websocket)
        try:
            await super()._process_messages(websocket, app_service)
        finally:
            self._sockets.discard(websocket)

    def serve(self, debug: bool = False) -> None:
        """Serve until Ctrl+C or SIGTERM, as textual-serve does; one line once listening.

        textual-serve prints its banner at start-up, before the port is bound, so a taken
        port printed "serving" and then the error; aiohttp's ``print`` comes after.
        """
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, self.request_exit)
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            print=self._listening,
        )

    def _listening(self, *_: object) -> None:
        print(t("serve.listening", url=self.public_url), file=sys.stderr, flush=True)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Start a session only for a page of this server (the browser's Origin).

        A page on any other site the reader has open could otherwise open this websocket
        in their browser (websockets are not bound by the same-origin policy) and type
        into a console.
        """
        if not same_origin(request, self.public_url):
            log.warning("refused a websocket from %s", request.headers.get("Origin"))
            raise web.HTTPForbidden(text=t("serve.foreign_origin"))
        return await super().handle_websocket(request)


def same_origin(request: web.Request, public_url: str) -> bool:
    """True if the request's ``Origin`` is this server as the browser reached it.

    That is the ``Host`` the request came to (directly or through a proxy that keeps it)
    or the public URL. A request with no ``Origin`` comes from no web page at all.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    public = urlsplit(public_url)
    return parts.netloc == request.host or (parts.scheme, parts.netloc) == (
        public.scheme,
        public.netloc,
    )


def serve_console(
    environment: dict[str, str], host: str, port: int, public_url: str | None = None
) -> None:
    """Serve the console on ``host:port`` until Ctrl+C; each browser its own session.

    ``environment`` (the database URL, the language, the moment) is set in this
    process's environment, which textual-serve copies to every session it starts.

    Raises:
        ServeError: the address cannot be bound (in use, not this machine's).

    """
    for name in NOT_INHERITED:
        os.environ.pop(name, None)
    os.environ.update(environment)
    server = DeskServer(host, port, public_url)
    try:
        server.serve()
    except OSError as exc:
        raise ServeError(
            t("serve.cannot_listen", host=host, port=port, reason=exc.strerror or exc)
        ) from None
