"""Accredited mode at the console (issue 13): the sealed location, reporter and 'to whom'
of a classified item show in the timeline pane to a cleared, named reader only."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from dutydesk.services.incidents.followup import NewEntry, add_entry
from dutydesk.services.incidents.incident import create_incident
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.storage.engine import Database
from dutydesk.tui.app import DutyDeskApp
from dutydesk.vocab import Classification, EntryKind
from tests.request_support import request
from tests.tui.conftest import local
from tests.tui.test_console import SIZE, MakeApp, settle

PLACE, UNIT, LEADER = "雀巢镇QX9", "雀报单位QX9", "领导雀QX9"


def _sealed_item(db: Database) -> str:
    """A 机密 item written as the accredited desk writes it, named for 张三."""
    received = local(26, 2, 5)
    with db.session() as session:
        incident = create_incident(
            request(session, now=received),
            NewIncident(
                received_at=received, channel="cipher", category="accident", severity="II",
                classification="secret", title="雀巢密电", summary="据报雀巢", location=PLACE,
                reporter_unit=UNIT, readers=("张三",),
            ),
            session=session,
        )  # fmt: skip
        at = received + timedelta(minutes=3)
        add_entry(
            request(session, now=at),
            incident,
            NewEntry(kind=EntryKind.LEADER_INSTRUCTION, occurred_at=at, text="核实", target=LEADER),
            session=session,
        )
        return incident.serial


async def _timeline_of(pilot: Pilot[Any], app: DutyDeskApp, serial: str) -> str:
    queue = app.main.queue
    rows = [row for block in sorted(queue._blocks) for row in queue._blocks[block]]
    target = next(index for index, row in enumerate(rows) if row.serial == serial)
    while queue.cursor < target:
        await pilot.press("down")
    while queue.cursor > target:
        await pilot.press("up")
    await settle(pilot)
    assert app.main.timeline.incident_id == rows[target].id
    return app.main.timeline.text


@pytest.mark.parametrize(("viewer", "shown"), [("张三", True), ("李四", False)])
async def test_the_timeline_opens_sealed_details_for_a_named_reader_only(
    make_app: MakeApp,
    night: dict[str, int],
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    viewer: str,
    shown: bool,
) -> None:
    serial = _sealed_item(db)
    stored = db.read(
        "SELECT location, reporter_unit FROM incident WHERE serial = :s", {"s": serial}
    )
    assert all(str(value).startswith("enc:v1:") for value in stored[0])
    monkeypatch.setenv("DUTYDESK_OPERATOR", viewer)
    app = make_app(clearance=Classification.SECRET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = await _timeline_of(pilot, app, serial)
        for canary in (PLACE, UNIT, LEADER):
            assert (canary in text) is shown, (viewer, canary, text[:300])
        assert "enc:v1:" not in text


async def test_another_key_file_is_refused_at_intake_and_the_form_is_kept(
    db: Database, night: dict[str, int], clock: Any
) -> None:
    """Issue 17: a key file that is not the database's seals nothing; the line says so."""
    from dutydesk.config import Settings
    from dutydesk.storage.crypto import KeyRing
    from dutydesk.tui.screens.intake import IntakeScreen
    from tests.tui.test_intake import incidents, open_intake

    serial = _sealed_item(db)  # sealed with the database's own key file: recorded
    assert serial
    # <file>.key beside a SQLite file; a server database's is named by key_file (the db
    # fixture sets DUTYDESK_KEY_FILE for it in the PostgreSQL pass).
    key = (
        db.path.with_name(db.path.name + ".key")
        if db.path is not None
        else Path(os.environ["DUTYDESK_KEY_FILE"])
    )
    key.rename(key.with_name("right.key"))
    KeyRing.create(key)  # another key file where the database's was
    before = len(incidents(db))
    settings = Settings(
        timezone="Asia/Shanghai",
        deployment="classified-network",
        key_file=None if db.path is not None else str(key),
    )
    app = DutyDeskApp(db, settings, clock, "en", Classification.SECRET)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_intake(pilot)
        screen.control("classification").value = "secret"  # type: ignore[attr-defined]
        await pilot.press(*"雀巢第二份密电")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)  # the form stays, as typed
        assert "is not the key file of this database" in screen.status_text
        assert "雀巢第二份密电" in screen.control("summary").text  # type: ignore[attr-defined]
    assert len(incidents(db)) == before
