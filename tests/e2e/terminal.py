"""A real terminal for end-to-end tests: the installed ``dutydesk`` in a pseudo-terminal.

``pexpect`` starts the entry point the README installs (``.venv/bin/dutydesk``) in a real
pty at 120x40; ``pyte`` plays what it writes onto a virtual screen, so a test reads the
screen a person would see (wide Chinese characters take two cells, as they do in a
terminal) and types keys as bytes. Nothing of dutydesk is imported or replaced: the
process under test is the same one an officer starts.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pexpect
import pyte
from wcwidth import wcwidth

COLUMNS, LINES = 120, 40
BIN = Path(sys.executable).parent
DUTYDESK = BIN / "dutydesk"
"""The console script pip installed beside this interpreter: what the README runs."""
WAIT = 60.0
"""Generous: a loaded 2-core CI machine is slow, and a wait ends at the event anyway."""

KEYS = {
    "enter": "\r",
    "tab": "\t",
    "shift+tab": "\x1b[Z",
    "escape": "\x1b",
    "backspace": "\x7f",
    "up": "\x1b[A",
    "down": "\x1b[B",
    "right": "\x1b[C",
    "left": "\x1b[D",
    "home": "\x1b[H",
    "end": "\x1b[F",
    "pageup": "\x1b[5~",
    "pagedown": "\x1b[6~",
    "f2": "\x1bOQ",
    "f4": "\x1bOS",
    **{f"ctrl+{c}": chr(ord(c) - 96) for c in "abcdefghklnopqrstuvwxyz"},
}
"""What an xterm sends for each key Textual binds (ctrl+i/j/m are tab and enter)."""


def environment(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: English, UTF-8, xterm, a home of its own (no user config)."""
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "DUTYDESK_LANGUAGE": "en",
    }
    env.update(extra)
    return env


def screen_text(screen: pyte.Screen) -> str:
    """A pyte screen as lines of text, a wide character's empty second cell dropped.

    Not ``pyte.Screen.display``: when a narrow character overwrites the first half of a
    wide one, pyte leaves the second half's empty stub behind and ``display`` raises
    ``IndexError`` on it (it did in CI, mid-night, after the handover pack closed).
    """
    return "\n".join(_row_text(screen.buffer[y], screen.columns) for y in range(screen.lines))


def _row_text(row: dict[int, pyte.screens.Char], columns: int) -> str:
    cells: list[str] = []
    after_wide = False
    for x in range(columns):
        data = row[x].data
        if data == "":
            # The second cell of a wide character is dropped; an orphaned one (its first
            # half overwritten) is blank, as a real terminal shows it.
            if not after_wide:
                cells.append(" ")
            after_wide = False
            continue
        cells.append(data)
        after_wide = wcwidth(data[0]) == 2
    return "".join(cells).rstrip()


def screen_look(screen: pyte.Screen) -> tuple[object, ...]:
    """What a person sees below the header: each cell's text and colours, and the cursor.

    Focus in a form is mostly colour (a focused input's lighter background, a focused
    select's highlight), which the text of the screen does not show; pyte keeps each
    cell's colours, so a change of focus is seen here even where no character changes.
    The header's row is left out: its clock ticks every second.
    """
    rows = tuple(
        tuple((cell.data, cell.fg, cell.bg, cell.reverse) for cell in screen.buffer[y].values())
        for y in range(1, screen.lines)
    )
    return (screen.cursor.y, screen.cursor.x, rows)


class Terminal:
    """One ``dutydesk`` process in a pseudo-terminal, and the screen it draws."""

    def __init__(self, args: Iterable[str], env: dict[str, str], cwd: Path) -> None:
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        # encoding=None makes a bytes child; the stubs cannot infer that from the argument.
        self.child: pexpect.spawn[bytes] = pexpect.spawn(
            str(DUTYDESK),
            list(args),
            env=env,
            cwd=str(cwd),
            dimensions=(LINES, COLUMNS),
            encoding=None,
            timeout=WAIT,
        )
        self.transcript = bytearray()

    @property
    def pid(self) -> int:
        """The process id of the console (the entry point runs in this process)."""
        pid = self.child.pid
        assert pid is not None  # set by spawn(), which forks before it returns
        return pid

    def pump(self, seconds: float = 0.05) -> None:
        """Read what the process wrote within ``seconds`` onto the screen."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                chunk = self.child.read_nonblocking(
                    65536, timeout=max(deadline - time.monotonic(), 0)
                )
            except pexpect.TIMEOUT:
                return
            except pexpect.EOF:
                return
            self.transcript.extend(chunk)
            self.stream.feed(chunk)
            if time.monotonic() >= deadline:
                return

    def text(self) -> str:
        """The screen as lines of text (a wide character's second cell is dropped)."""
        return screen_text(self.screen)

    def settled(
        self, part: Callable[[str], object] = lambda s: s, quiet: float = 0.4, timeout: float = WAIT
    ) -> str:
        """The screen once ``part`` of it has stayed the same for ``quiet`` seconds.

        For a reference screen a test compares against later: the first frame that
        satisfies a wait may be half drawn (a frame can arrive in two reads) or about to
        be replaced by the worker's full load, and comparing against it fails under load.
        The header's clock ticks every second, so ``part`` picks what must be still; an
        empty part (a frame caught before the pane is drawn) is not a settled one.
        """
        deadline = time.monotonic() + timeout
        screen = self.text()
        still_since = time.monotonic()
        while True:
            self.pump(0.05)
            now_screen = self.text()
            if part(now_screen) != part(screen):
                screen, still_since = now_screen, time.monotonic()
            elif part(now_screen) and time.monotonic() - still_since >= quiet:
                return now_screen  # an empty part (nothing drawn there yet) never settles
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen never settled in {timeout:.0f} s:\n{now_screen}")

    def wait_for(
        self, wanted: str | Callable[[str], bool], timeout: float = WAIT, why: str = ""
    ) -> str:
        """Read until ``wanted`` (a string, or a test of the screen) is on the screen."""
        test = wanted if callable(wanted) else (lambda screen: wanted in screen)
        deadline = time.monotonic() + timeout
        while True:
            self.pump(0.05)
            screen = self.text()
            if test(screen):
                return screen
            if not self.child.isalive() and not self._pending():
                raise AssertionError(f"dutydesk exited waiting for {why or wanted!r}:\n{screen}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"not on the screen after {timeout:.0f} s: {why or wanted!r}\n{screen}"
                )

    def _pending(self) -> bool:
        try:
            chunk = self.child.read_nonblocking(65536, timeout=0.1)
        except (pexpect.TIMEOUT, pexpect.EOF):
            return False
        self.transcript.extend(chunk)
        self.stream.feed(chunk)
        return True

    def type(self, text: str) -> None:
        """Type characters (Chinese included) as a keyboard or an input method does."""
        self.child.send(text.encode())
        self.pump(0.05)

    def press(self, *keys: str) -> None:
        """Press named keys (``enter``, ``ctrl+q``, ``end``...), one after another."""
        for name in keys:
            self.child.send(KEYS[name].encode())
            # An escape alone is only a key once no sequence follows it.
            self.pump(0.15 if name == "escape" else 0.05)

    def look(self) -> tuple[object, ...]:
        """What a person sees below the header now (:func:`screen_look`)."""
        return screen_look(self.screen)

    def steady(self, quiet: float = 0.4, timeout: float = WAIT) -> None:
        """Wait until :meth:`look` has stayed the same for ``quiet`` seconds.

        A widget can take the focus in a frame after the one that drew it (a select gives
        it back to itself after its list closes): a key sent before that frame goes to the
        widget the focus is leaving, and is lost to the test.
        """
        deadline = time.monotonic() + timeout
        seen, since = self.look(), time.monotonic()
        while True:
            self.pump(0.05)
            now = self.look()
            if now != seen:
                seen, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the screen never stood still in {timeout:.0f} s\n{self.text()}"
                )

    def press_to_move_focus(self, key: str = "tab", timeout: float = WAIT) -> None:
        """Press ``key`` once the focus has landed, and wait until it has moved and stays.

        Textual puts the terminal's own cursor on the focused input or text area (where
        an input method draws), so a form's next field, one row down, moves it; a focus
        that is only colour (a select) is seen in :meth:`look`. Before the key: the screen
        stands still, so the focus of the last key is where it will stay (a Tab sent while
        a select takes the focus back was lost under load). After it: the cursor moved and
        the screen stands still again, with the cursor still away from where it was, so
        keys typed next go to the new field.
        """
        self.steady(timeout=timeout)
        before = (self.screen.cursor.y, self.screen.cursor.x)
        self.press(key)
        deadline = time.monotonic() + timeout
        while (self.screen.cursor.y, self.screen.cursor.x) == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"{key} moved no focus in {timeout:.0f} s\n{self.text()}")
            self.pump(0.05)
        self.steady(timeout=timeout)
        if (self.screen.cursor.y, self.screen.cursor.x) == before:
            raise AssertionError(f"the focus came back after {key}\n{self.text()}")

    def exited(self, timeout: float = WAIT) -> int | None:
        """Wait for the process to end; its exit status (``None`` if it did not)."""
        deadline = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < deadline:
            self.pump(0.1)
        if self.child.isalive():
            return None
        self.child.close()
        return (
            self.child.exitstatus
            if self.child.exitstatus is not None
            else -(self.child.signalstatus or 0)
        )

    def kill(self) -> None:
        """``kill -9``: no handler runs, as when a machine loses power."""
        os.kill(self.pid, signal.SIGKILL)
        self.child.close(force=True)

    def close(self) -> None:
        """End the process if it still runs (a failed test must not leave it behind)."""
        if self.child.isalive():
            self.child.terminate(force=True)


SERIAL = re.compile(r"\d{8}-\d{3}")


def serials(screen: str) -> list[str]:
    """Incident serials on the screen, top to bottom."""
    return SERIAL.findall(screen)
