"""A real browser for end-to-end tests: Debian's headless chromium, driven by selenium.

The page draws the console with xterm.js on a canvas, so its text is not in the DOM.
A script added before the page's own (:data:`TEE`) copies every byte the console's
websocket delivers to xterm.js, and every size the page asks for, into a list the test
drains; ``pyte`` plays them onto a screen of the same size, as in tests/e2e/terminal.py.
Nothing of the page or of dutydesk is replaced: the bytes still go to xterm.js, and the
keys are typed into xterm.js's own input element, as a person types them.

Every URL the page requests is read back from Chrome's performance log (the DevTools
Network events), so a test can fail on any host that is not this machine.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyte
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.terminal import WAIT, screen_text

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1000",
)
"""No GPU, no sandbox (root in CI), and none of the browser's own traffic (updates,
sync, field trials), so the URLs in the log are the page's."""

TEE = r"""
(() => {
  const Native = window.WebSocket;
  const events = [];
  function Teed(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    const query = new URL(url, location.href).searchParams;
    events.push({size: [Number(query.get("width")), Number(query.get("height"))]});
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") events.push({data: new Uint8Array(event.data)});
    });
    const send = socket.send.bind(socket);
    socket.send = (data) => {
      try {
        const message = JSON.parse(data);
        if (message[0] === "resize") events.push({size: [message[1].width, message[1].height]});
      } catch (_) {}
      return send(data);
    };
    return socket;
  }
  Teed.prototype = Native.prototype;
  for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Teed[name] = Native[name];
  window.WebSocket = Teed;
  window.__deskDrain = () => events.splice(0, events.length).map((event) => {
    if (event.size) return {size: event.size};
    let text = "";
    for (let i = 0; i < event.data.length; i += 8192) {
      text += String.fromCharCode.apply(null, event.data.subarray(i, i + 8192));
    }
    return {data: btoa(text)};
  });
})();
"""
"""Copies what the console's websocket brings (bytes) and the sizes the page asks for."""

KEYS = {
    "enter": Keys.ENTER,
    "escape": Keys.ESCAPE,
    "tab": Keys.TAB,
    "down": Keys.ARROW_DOWN,
    "up": Keys.ARROW_UP,
}

NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})
"""Schemes that reach a host; data:, blob: and the browser's own chrome: reach none."""


class Browser:
    """One headless chromium with its own profile, and the console screen of its tab."""

    def __init__(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="dutydesk-chromium-"))
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        self._tee()
        self.requested: list[str] = []
        self._screens: dict[str, tuple[pyte.Screen, pyte.ByteStream]] = {}

    def open(self, url: str) -> None:
        """Load ``url`` in the current tab; its console screen starts blank."""
        self._read_log()
        self.driver.get(url)
        screen = pyte.Screen(80, 24)
        self._screens[self.driver.current_window_handle] = (screen, pyte.ByteStream(screen))

    def new_tab(self, url: str) -> str:
        """Open ``url`` in a new tab (a second connection) and switch to it."""
        self.driver.switch_to.new_window("tab")
        self._tee()  # a script added before a page's own belongs to one tab
        self.open(url)
        return self.driver.current_window_handle

    def switch_to(self, handle: str) -> None:
        """Make the tab ``handle`` the one read and typed into."""
        self.driver.switch_to.window(handle)

    def _tee(self) -> None:
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TEE})

    def pump(self) -> None:
        """Play what this tab's websocket brought onto its screen."""
        screen, stream = self._screens[self.driver.current_window_handle]
        events: list[dict[str, Any]] = self.driver.execute_script(
            "return window.__deskDrain ? window.__deskDrain() : [];"
        )
        for event in events:
            if "size" in event:
                columns, lines = event["size"]
                screen.resize(lines, columns)
            else:
                stream.feed(base64.b64decode(event["data"]))

    def text(self) -> str:
        """This tab's console screen as lines of text."""
        return screen_text(self._screens[self.driver.current_window_handle][0])

    def wait_for(
        self, wanted: str | Callable[[str], bool], timeout: float = WAIT, why: str = ""
    ) -> str:
        """Read until ``wanted`` (a string, or a test of the screen) is on the screen."""
        test = wanted if callable(wanted) else (lambda screen: wanted in screen)
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            screen = self.text()
            if test(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"not in the browser after {timeout:.0f} s: {why or wanted!r}\n{screen}"
                )
            time.sleep(0.1)  # a poll interval, not a wait for an event: the deadline is

    def settled(self, quiet: float = 0.5, timeout: float = WAIT) -> str:
        """The screen once it has not changed for ``quiet`` seconds (a frame fully drawn).

        As ``Terminal.settled``: on a loaded machine the first frame that satisfies a wait
        may be followed at once by the rest of the screen's mounting.
        """
        deadline = time.monotonic() + timeout
        screen, still_since = self.text(), time.monotonic()
        while True:
            self.pump()
            now_screen = self.text()
            if now_screen != screen:
                screen, still_since = now_screen, time.monotonic()
            elif time.monotonic() - still_since >= quiet:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never settled in {timeout:.0f} s:\n{screen}")
            time.sleep(0.05)

    def type(self, text: str) -> None:
        """Type into xterm.js's input element, as a keyboard (or an input method) does."""
        self.driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys(text)

    def press(self, *keys: str) -> None:
        """Press named keys (``enter``, ``escape``...), one after another."""
        for name in keys:
            self.type(KEYS[name])

    def press_to_move_focus(self, key: str, timeout: float = WAIT) -> None:
        """Press ``key`` and wait until the focus moved: the terminal's cursor moved.

        As ``Terminal.press_to_move_focus``: Textual puts the cursor on the focused input,
        and keys typed before the focus moved (a later frame) would go to the old field.
        """
        screen = self._screens[self.driver.current_window_handle][0]
        self.pump()
        before = (screen.cursor.y, screen.cursor.x)
        self.press(key)
        deadline = time.monotonic() + timeout
        while (screen.cursor.y, screen.cursor.x) == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"{key} moved no focus in {timeout:.0f} s\n{self.text()}")
            time.sleep(0.05)
            self.pump()

    def body_classes(self) -> set[str]:
        """The page's state: ``-first-byte`` once the console drew, ``-closed`` after."""
        classes: str = self.driver.execute_script("return document.body.className;")
        return set(classes.split())

    def _read_log(self) -> None:
        # selenium leaves get_log unannotated; it returns the log's entries as dicts.
        entries: list[dict[str, Any]] = self.driver.get_log("performance")  # type: ignore[no-untyped-call]
        for entry in entries:
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(params["request"]["url"])
            elif message.get("method") == "Network.webSocketCreated":
                self.requested.append(params["url"])

    def urls(self) -> list[str]:
        """Every URL any tab requested so far (documents, scripts, fonts, websockets)."""
        self._read_log()
        return list(self.requested)

    def close(self) -> None:
        """Quit the browser (its tabs' websockets close: their consoles end)."""
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


def off_machine(urls: list[str]) -> list[str]:
    """The URLs among ``urls`` that reach a host other than this machine's loopback."""
    return [url for url in urls if not _loopback_url(url)]


def _loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in NETWORK_SCHEMES:
        return True  # data:, blob:, about:, chrome: (the browser's own pages) reach no host
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
