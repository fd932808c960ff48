"""``dutydesk serve`` in a real headless browser: sign in, the queue, a timeline, live writes.

The installed ``dutydesk serve`` serves a copy of the demo night on a free port of
127.0.0.1; Debian's chromium (through chromedriver and selenium) opens it, as a leader's
browser on the office network would. The test reads the console's screen from the bytes
its websocket brings (tests/e2e/browser.py), types into the page's terminal, writes from
the CLI as another desk, and reads back every URL the page requested: any host other
than this machine fails it (textual-serve's own page loaded Roboto Mono from
fonts.googleapis.com).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pyte
import pytest

from tests.e2e.browser import CHROMEDRIVER, CHROMIUM, Browser, off_machine
from tests.e2e.conftest import OFFICER, Desk
from tests.e2e.terminal import DUTYDESK, WAIT, screen_text, serials

# One server and one browser at a time, beside the terminals (two chromiums and two
# consoles racing on two cores would test the machine's load, not the page).
pytestmark = [
    pytest.mark.xdist_group("terminals"),
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()) and os.environ.get("CI") != "true",
        reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
    ),
]


@dataclass
class Served:
    """A running ``dutydesk serve`` and the URL it prints."""

    process: subprocess.Popen[str]
    url: str
    log: Path
    database: str


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(desk: Desk, *options: str) -> Iterator[Served]:
    """``dutydesk [OPTIONS] serve --db DEMO --port P`` until the block ends.

    The server's own environment names an operator and a PIN, as a CLI user's shell
    might: no browser may be signed in by them (each session starts on its sign-in).
    """
    port = free_port()
    log = desk.folder / "serve.log"
    env = {**desk.env, "DUTYDESK_OPERATOR": OFFICER[0], "DUTYDESK_PIN": OFFICER[1]}
    command = [str(DUTYDESK), *options, "serve", "--db", str(desk.db), "--port", str(port)]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command,
            cwd=desk.folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            text=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while f"{url} " not in log.read_text():  # the "serving" line, in any language
            assert process.poll() is None, f"dutydesk serve exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"not serving after {WAIT:.0f} s"
            time.sleep(0.1)
        yield Served(process, url, log, str(desk.db))
    finally:
        process.terminate()
        process.wait(timeout=WAIT)


@pytest.fixture
def served(demo_desk: Desk) -> Iterator[Served]:
    """``dutydesk serve`` on a copy of the demo night, in English."""
    with serving(demo_desk) as running_server:
        yield running_server


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A fresh headless chromium; quit afterwards, whatever the test did."""
    started = Browser()
    try:
        yield started
    finally:
        started.close()


def sign_in(browser: Browser, name: str, pin: str) -> str:
    """Sign in at the page's sign-in screen as a person does; the desk's first screen."""
    browser.wait_for(lambda s: "PIN" in s and name in s, why="the sign-in screen")
    # Once drawn whole: under a load average of 15 the name typed at the first such frame
    # was not read once (the list stayed unfiltered for 60 s), as a person never types
    # into a screen before it is there.
    browser.settled()
    browser.type(name)
    # Typing filters the names: only this one left (twice: typed, and listed) means the
    # console read the keys (tests/e2e/conftest.py's sign_in, for the same reason).
    browser.wait_for(
        lambda s: "赵静" not in s and "韩冬" not in s and s.count(name) >= 2,
        why="the names filtered to this one",
    )
    # Enter takes the name and moves to the PIN; typed before it moved, on a loaded
    # machine the PIN once went into the name (王立新7777).
    browser.press_to_move_focus("enter")
    browser.type(pin)
    browser.wait_for("•" * len(pin), why="the PIN, masked")
    browser.press("enter")
    return browser.wait_for(
        lambda s: "Incident queue" in s and len(serials(s)) >= 3, why="the desk with its queue"
    )


def audit_actions(database: str, name: str) -> list[str]:
    """The audit trail's actions by ``name``, oldest first (a file's path or a server's URL)."""
    from dutydesk.storage.engine import Database, url_for

    store = Database(url_for(database))
    try:
        rows = store.read(
            "SELECT action FROM audit_event JOIN person ON person.id = audit_event.actor_id "
            "WHERE person.name = :name ORDER BY audit_event.id",
            {"name": name},
        )
    finally:
        store.close()
    return [str(row[0]) for row in rows]


def test_a_leader_signs_in_in_a_browser_and_sees_another_desks_write(
    served: Served, browser: Browser, demo_desk: Desk
) -> None:
    signed_in_before = audit_actions(demo_desk.db, OFFICER[0]).count("sign_in")
    browser.open(served.url + "/")
    first = browser.driver.current_window_handle
    screen = browser.wait_for("dutydesk: sign in", why="the sign-in screen, not a desk")
    assert "Incident queue" not in screen  # the server's DUTYDESK_OPERATOR/PIN: nobody

    desk = sign_in(browser, *OFFICER)
    assert "-first-byte" in browser.body_classes()  # xterm.js drew the console
    assert audit_actions(demo_desk.db, OFFICER[0]).count("sign_in") == signed_in_before + 1
    assert serials(desk)

    # Another desk registers an incident from the CLI, on the same database file.
    summary = "浏览器联调：东湖大桥北侧一辆客车抛锚，无人员受伤。"
    added = demo_desk.cli(
        "incident", "add", "--summary", summary, "--category", "accident",
        "--db", str(demo_desk.db), "--operator", "李晓明", pin="1111",
    )  # fmt: skip
    (serial,) = serials(added.stdout)
    browser.wait_for(serial, why="the other desk's incident in the browser's queue")

    # Its timeline, opened from search as a person does.
    browser.type("/")
    browser.wait_for("Search", why="the search screen")
    browser.settled()  # as at sign-in: a key typed while the screen mounts can be lost
    browser.type(serial)
    browser.wait_for(lambda s: s.count(serial) >= 2, why="the search result")
    browser.press("enter")
    timeline = browser.wait_for(f"Follow-up timeline: {serial}", why="the timeline")
    assert "浏览器联调" in timeline

    # A second tab is a second session: its own process, on its own sign-in screen.
    browser.new_tab(served.url + "/")
    other = browser.wait_for("dutydesk: sign in", why="the second tab's own sign-in")
    assert serial not in other and "Incident queue" not in other
    browser.switch_to(first)
    browser.wait_for(f"Follow-up timeline: {serial}", why="the first tab still signed in")

    urls = browser.urls()
    assert off_machine(urls) == [], "the page reached beyond this machine"
    # The log holds the page's requests: the font it drew with, both tabs' websockets.
    assert any(url.endswith("/fonts/RobotoMono-VariableFont_wght.ttf") for url in urls), urls
    assert sum(url.startswith("ws://127.0.0.1:") for url in urls) == 2, urls
    assert "Traceback" not in served.log.read_text()


def test_a_page_of_another_site_cannot_open_a_session(served: Served) -> None:
    """A websocket from another origin (a page on any other site) is refused."""

    async def attempt(origin: str) -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(
                    served.url + "/ws?width=80&height=24", headers={"Origin": origin}
                ) as socket_:
                    await socket_.close()
                    return 101
            except aiohttp.WSServerHandshakeError as refused:
                return refused.status

    assert asyncio.run(attempt("http://evil.example")) == 403
    assert asyncio.run(attempt(served.url)) == 101
    assert "refused a websocket from http://evil.example" in served.log.read_text()


def test_the_url_check_fails_on_any_other_host() -> None:
    """What textual-serve's stock page asked for is caught; this machine's URLs are not."""
    urls = [
        "http://127.0.0.1:8000/",
        "ws://127.0.0.1:8000/ws?width=80&height=24",
        "http://localhost:8000/static/js/textual.js",
        "http://[::1]:8000/",
        "data:,",
        "chrome://resources/js/util.js",  # the browser's own new-tab page, no host
        "https://fonts.googleapis.com/css?family=Roboto%20Mono",
        "http://10.2.0.5:8000/",
        "wss://duty.example.gov.cn/ws",
    ]
    assert off_machine(urls) == urls[-3:]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the session's shell and its console), from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:  # the task ended meanwhile
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, ended and not yet reaped, does not)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def test_stopping_the_server_ends_every_session(served: Served) -> None:
    """SIGTERM (as Ctrl+C) closes each browser's websocket: its console quits with it."""

    async def connected_then_stopped() -> tuple[list[int], str]:
        async with aiohttp.ClientSession() as session:
            socket_ = await session.ws_connect(served.url + "/ws?width=100&height=30")
            async for message in socket_:  # the console's first bytes: its process runs
                if message.type == aiohttp.WSMsgType.BINARY:
                    break
            consoles = descendants(served.process.pid)
            # The database reaches a session in its environment, never its command line
            # (which every user of the machine can read, a server password included).
            for pid in consoles:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
                assert "dutydesk.web.session" in command
                assert served.database not in command, command
            served.process.terminate()
            async for message in socket_:  # the server closes it; nothing more to read
                if message.type == aiohttp.WSMsgType.CLOSE:
                    break
            return consoles, str(socket_.close_code)

    consoles, close_code = asyncio.run(connected_then_stopped())
    assert consoles, "no session process was started"
    assert served.process.wait(timeout=WAIT) == 0
    assert close_code == str(aiohttp.WSCloseCode.GOING_AWAY)
    deadline = time.monotonic() + WAIT
    while any(running(pid) for pid in consoles):
        assert time.monotonic() < deadline, f"a session outlived the server: {consoles}"
        time.sleep(0.1)


def test_each_session_speaks_the_language_serve_was_started_in(demo_desk: Desk) -> None:
    """``dutydesk --lang zh_CN serve``: the sign-in screen every browser gets is Chinese."""

    async def first_screen(url: str) -> str:
        screen = pyte.Screen(100, 30)
        stream = pyte.ByteStream(screen)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url + "/ws?width=100&height=30") as socket_,
        ):
            async for message in socket_:
                if message.type == aiohttp.WSMsgType.BINARY:
                    stream.feed(message.data)
                    if "选择或输入姓名" in screen_text(screen):
                        break
        return screen_text(screen)

    with serving(demo_desk, "--lang", "zh_CN") as running_server:
        assert "值班台已在 http://127.0.0.1:" in running_server.log.read_text()
        screen = asyncio.wait_for(first_screen(running_server.url), WAIT)
        assert "dutydesk：登录" in asyncio.run(screen)


def test_what_a_client_sends_reaches_the_log_as_one_clean_line(served: Served) -> None:
    """A malformed request and a C1 escape in a header: one line each, nothing acted on.

    aiohttp logs a request it cannot parse with its traceback; the access log repeats
    the client's User-Agent, here with U+009B (CSI, which a terminal may obey as ESC [).
    """
    port = int(served.url.rsplit(":", 1)[1])

    def send(request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as connection:
            connection.sendall(request)
            return connection.recv(65536)

    assert send(b"GET /\x1b[2J HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.0 400")
    hostile = "probe\u009b2J\u202eagent".encode()
    answer = send(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nUser-Agent: " + hostile + b"\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 200")
    deadline = time.monotonic() + WAIT
    while "probe" not in served.log.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the access log never named the request"
        time.sleep(0.1)
    log = served.log.read_text(encoding="utf-8")
    assert "Traceback" not in log and "\x1b" not in log and "\u009b" not in log, log
    # The sanitiser's way: the escape sequence (CSI 2J, clear screen) removed whole, the
    # bidi override shown by name.
    assert "probe⟨U+202E⟩agent" in log
    assert any("Error handling request" in line for line in log.splitlines()), log
