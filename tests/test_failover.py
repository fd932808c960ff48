"""Failover mid-night: the primary dies, the hot standby is promoted, the desk goes on.

Issue 15, "A standby". A primary streams synchronously to a hot standby
(tests/pg_standby.py: ``initdb``, ``pg_basebackup -R``, ``pg_ctl``,
``synchronous_commit = on`` with ``synchronous_standby_names`` naming the standby). The
console (a Pilot app) and the installed ``dutydesk`` binary (one process after another,
as a script at the desk would run it) write through one multi-host URL with
``target_session_attrs=read-write``. Mid-night the primary is stopped with
``pg_ctl stop -m immediate``, the standby promoted with ``pg_ctl promote``, and:

* every write that was confirmed (the CLI exited 0 with a serial; the console said
  "registered") is on the new primary, with the serial it was confirmed under;
* while no primary is up the CLI exits 5 in one line and the console says so in its
  header and keeps the form, as in any outage;
* the same console and the same URL go on writing to the new primary, no restart;
* ``dutydesk verify`` passes on it.

The figures (writes confirmed and found, the time from the stop to the first write the
new primary confirmed) are printed (``pytest -s``) and quoted in the README.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from dutydesk.clock import FrozenClock
from dutydesk.config import Settings
from dutydesk.services.demo.load import load_demo
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT as NOW
from tests.e2e.terminal import DUTYDESK, WAIT, environment
from tests.pg_standby import StandbyPair
from tests.tui.test_console import SIZE, settle

# Starts servers of its own like tests/test_postgres.py's outage tests: the same worker.
pytestmark = [pytest.mark.xdist_group("postgresql"), pytest.mark.slow]

OPERATOR = ("李晓明", "1111")
"""The demo night's duty officer and PIN (README)."""
TRIES = 1200
"""Looks for an event, 0.1 s apart: generous on a loaded machine, ended by the event."""


@dataclass(frozen=True)
class Write:
    """One ``dutydesk incident add`` run: what it was told to write and what it said."""

    summary: str
    code: int | None
    """The exit code; ``None``: it did not end within :data:`WAIT` seconds."""
    serial: str
    stderr: str
    started: float
    ended: float


class CliWriter(threading.Thread):
    """Runs ``dutydesk incident add`` again and again until told to stop."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.env = env
        self.writes: list[Write] = []
        self.done = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        """Write ``cli-1``, ``cli-2``, ... one process at a time."""
        number = 0
        while not self.done.is_set():
            number += 1
            summary = f"cli-{number} 巡查发现路面塌陷第{number}处"
            started = time.monotonic()
            try:
                # The installed entry point itself, as a script at the desk runs it.
                done = subprocess.run(
                    [str(DUTYDESK), "incident", "add", "--summary", summary],
                    env=self.env,
                    capture_output=True,
                    text=True,
                    timeout=WAIT,
                    stdin=subprocess.DEVNULL,
                    check=False,
                )
                code, out, err = done.returncode, done.stdout.strip(), done.stderr.strip()
            except subprocess.TimeoutExpired:
                code, out, err = None, "", "(did not end)"
            write = Write(summary, code, out if code == 0 else "", err, started, time.monotonic())
            with self._lock:
                self.writes.append(write)

    def count(self, test: Callable[[Write], bool]) -> int:
        """How many of the writes so far pass ``test``."""
        with self._lock:
            return sum(1 for write in self.writes if test(write))


async def _until(pilot: Pilot[None], done: Callable[[], bool]) -> None:
    for _ in range(TRIES):
        await pilot.pause(0.1)
        if done():
            return
    raise AssertionError("never happened")


async def _register(pilot: Pilot[None], summary: str) -> Any:
    """Open the intake form and type ``summary``; returns the form (ctrl+s not pressed)."""
    from dutydesk.tui.screens.intake import IntakeScreen

    await pilot.press("n")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, IntakeScreen)
    area = form.query_one("#field-summary TextArea", TextArea)
    area.focus()
    area.insert(summary)
    return form


async def _saved(pilot: Pilot[None], summary: str) -> str:
    """Wait for the form to close on a saved incident the timeline shows; its serial.

    What the officer sees as "saved": the form gone and the new incident selected and
    shown (the "registered" toast can expire before a loaded machine looks for it).
    """
    from dutydesk.tui.screens.main import MainScreen

    app = pilot.app

    def shown() -> bool:
        if not isinstance(app.screen, MainScreen):
            return False
        detail = app.screen.timeline.detail
        return detail is not None and detail.summary == summary

    await _until(pilot, shown)
    assert isinstance(app.screen, MainScreen) and app.screen.timeline.detail is not None
    return app.screen.timeline.detail.serial


def _rows(pair: StandbyPair) -> dict[str, list[str]]:
    """Serials by summary, read from the standby alone (the new primary)."""
    import psycopg

    with psycopg.connect(pair.direct_conninfo(pair.standby)) as conn:
        rows = conn.execute("SELECT summary, serial FROM incident").fetchall()
    found: dict[str, list[str]] = {}
    for summary, serial in rows:
        found.setdefault(summary, []).append(serial)
    return found


def _open_count(pair: StandbyPair) -> int:
    """Open incidents on the standby alone: what the console's queue should count."""
    import psycopg

    with psycopg.connect(pair.direct_conninfo(pair.standby)) as conn:
        row = conn.execute("SELECT count(*) FROM incident WHERE is_open").fetchone()
    assert row is not None
    return int(row[0])


async def test_a_promoted_standby_holds_every_confirmed_write_and_the_desk_goes_on(
    standby_pair: StandbyPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dutydesk.tui.app import DutyDeskApp
    from dutydesk.tui.widgets.status import StatusLine

    pair = standby_pair
    key = tmp_path / "duty.key"
    monkeypatch.setenv("DUTYDESK_KEY_FILE", str(key))
    db = Database(pair.url())
    load_demo(db, NOW)  # a night of chained records: verify checks every link
    home = tmp_path / "home"
    home.mkdir()
    env = environment(
        home,
        DUTYDESK_DATABASE_URL=pair.url(),
        DUTYDESK_KEY_FILE=str(key),
        DUTYDESK_OPERATOR=OPERATOR[0],
        DUTYDESK_PIN=OPERATOR[1],
        DUTYDESK_NOW=NOW.isoformat(),
    )
    writer = CliWriter(env)
    console: dict[str, str] = {}  # summary -> serial, for the console's confirmed saves
    app = DutyDeskApp(
        db, Settings(timezone="Asia/Shanghai"), FrozenClock(NOW.astimezone(UTC)), "en"
    )
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            header = app.main.query_one(StatusLine)
            await _register(pilot, "江边码头油罐起火")
            await pilot.press("ctrl+s")
            console["江边码头油罐起火"] = await _saved(pilot, "江边码头油罐起火")

            writer.start()
            await _until(pilot, lambda: writer.count(lambda w: w.code == 0) >= 3)
            stopped = time.monotonic()
            pair.stop_primary()

            await _until(pilot, lambda: header.lost)
            form = await _register(pilot, "高速公路多车追尾")
            await pilot.press("ctrl+s")
            await _until(pilot, lambda: "cannot be reached" in form.status_text)
            assert app.screen is form  # refused, and the typing kept
            await _until(pilot, lambda: writer.count(lambda w: w.started > stopped) >= 2)

            pair.promote()
            promoted = time.monotonic()
            await _until(pilot, lambda: not header.lost)  # the watch found the new primary
            back = time.monotonic()
            await pilot.press("ctrl+s")  # the same form, the same console
            console["高速公路多车追尾"] = await _saved(pilot, "高速公路多车追尾")
            saved = time.monotonic()
            await _until(
                pilot, lambda: writer.count(lambda w: w.started > promoted and w.code == 0) >= 3
            )
            writer.done.set()
            writer.join(WAIT)

            # Another desk's write after the failover reaches this console by itself.
            await settle(pilot)
            still_open = _open_count(pair)
            await _until(pilot, lambda: app.main.queue.count == still_open)
    finally:
        writer.done.set()
        db.close()

    writes = writer.writes
    assert {w.code for w in writes} <= {0, 5}, [w for w in writes if w.code not in {0, 5}]
    for w in writes:
        if w.code == 5:  # one line, no traceback
            assert len(w.stderr.splitlines()) == 1 and "cannot be reached" in w.stderr, w
    confirmed = {w.summary: w.serial for w in writes if w.code == 0} | console
    found = _rows(pair)
    missing = {s: serial for s, serial in confirmed.items() if found.get(s) != [serial]}
    assert not missing, f"confirmed but not on the new primary (or twice): {missing}"
    first = min(w.ended for w in writes if w.code == 0 and w.started > stopped)
    refused = sum(w.code == 5 for w in writes)
    in_doubt = [w.summary for w in writes if w.code != 0 and w.summary in found]
    print(  # the README's figures (pytest -s)
        f"\nfailover: {len(confirmed)} writes confirmed ({len(console)} console, "
        f"{len(confirmed) - len(console)} CLI), {sum(s in found for s in confirmed)} found "
        f"on the new primary; {refused} CLI writes refused with exit 5, {len(in_doubt)} of "
        f"them found anyway; stop to promote {promoted - stopped:.1f} s; stop to the first "
        f"confirmed CLI write on the new primary {first - stopped:.1f} s "
        f"(promote to it {first - promoted:.1f} s; a CLI write takes "
        f"{sorted(w.ended - w.started for w in writes)[len(writes) // 2]:.1f} s, median); "
        f"promote to the console's header back {back - promoted:.1f} s, to its kept form "
        f"saved {saved - promoted:.1f} s"
    )

    verified = subprocess.run(
        [str(DUTYDESK), "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "Record intact" in verified.stdout, verified.stdout


def _waiting_for_standby(cluster: Any) -> bool:
    """True once a backend of ``cluster`` waits in COMMIT for a synchronous standby."""
    import psycopg

    url = f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres"
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"
        ).fetchone()
    return row is not None and int(row[0]) > 0


def test_a_save_cut_off_at_commit_says_it_may_have_been_saved(
    own_cluster: Any, tmp_path: Path
) -> None:
    """The server died while the COMMIT waited: "nothing was written" would be a lie.

    The commit waits for a synchronous standby that is not there (the standby died
    first), so it is already in the primary's WAL when the primary is stopped; after
    the restart the incident is there. The CLI must not have said "nothing was
    written" (exit 5, which a script may answer by writing again: a duplicate); it
    says the record may have been saved and to look first (exit 7).
    """
    import psycopg

    url = f"postgresql+psycopg://postgres@127.0.0.1:{own_cluster.port}/postgres"
    db = Database(url)
    try:
        db.ensure_schema()
    finally:
        db.close()
    admin = f"host=127.0.0.1 port={own_cluster.port} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        # A database setting outranks the test server's -c synchronous_commit=off.
        conn.execute("ALTER DATABASE postgres SET synchronous_commit = on")
        conn.execute("ALTER SYSTEM SET synchronous_standby_names = 'gone_standby'")
        conn.execute("SELECT pg_reload_conf()")
    home = tmp_path / "home"
    home.mkdir()
    env = environment(
        home,
        DUTYDESK_DATABASE_URL=url,
        DUTYDESK_KEY_FILE=str(tmp_path / "duty.key"),
        DUTYDESK_OPERATOR="值班员",
        DUTYDESK_NOW=NOW.isoformat(),
    )
    with subprocess.Popen(
        [str(DUTYDESK), "incident", "add", "--summary", "码头吊车倾覆"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as cli:
        for _ in range(TRIES):
            if cli.poll() is not None or _waiting_for_standby(own_cluster):
                break
            threading.Event().wait(0.1)
        assert cli.poll() is None, cli.communicate()  # still waiting in COMMIT
        own_cluster.crash()
        out, err = cli.communicate(timeout=WAIT)
    own_cluster.restart()
    with psycopg.connect(admin) as conn:
        stored = conn.execute("SELECT count(*) FROM incident").fetchone()
    assert stored == (1,)  # committed after all: the WAL had it
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "nothing was written" not in err, err
    assert "may have been saved" in err, err
    assert cli.returncode == 7


async def test_the_console_says_a_save_cut_off_at_commit_may_have_been_saved(
    own_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same cut-off COMMIT seen from the intake form: no "nothing was written"."""
    import psycopg

    from dutydesk.tui.app import DutyDeskApp

    monkeypatch.setenv("DUTYDESK_KEY_FILE", str(tmp_path / "duty.key"))
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{own_cluster.port}/postgres")
    db.ensure_schema()
    admin = f"host=127.0.0.1 port={own_cluster.port} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("ALTER DATABASE postgres SET synchronous_commit = on")
        conn.execute("ALTER SYSTEM SET synchronous_standby_names = 'gone_standby'")
        conn.execute("SELECT pg_reload_conf()")
    db.close()  # the pool's connections predate the database setting
    app = DutyDeskApp(
        db, Settings(timezone="Asia/Shanghai"), FrozenClock(NOW.astimezone(UTC)), "en"
    )
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            form = await _register(pilot, "码头吊车倾覆")
            await pilot.press("ctrl+s")
            await _until(pilot, lambda: _waiting_for_standby(own_cluster))
            own_cluster.crash()
            await _until(pilot, lambda: "may have been saved" in form.status_text)
            assert "nothing was written" not in form.status_text
            assert "Not saved" not in form.status_text
            assert app.screen is form  # kept: the officer looks before saving again
    finally:
        db.close()
    own_cluster.restart()
    with psycopg.connect(admin) as conn:
        assert conn.execute("SELECT count(*) FROM incident").fetchone() == (1,)
