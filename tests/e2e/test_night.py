"""A whole night at the desk, from the README's first command, in real terminals.

One officer registers a call and follows it through every kind of entry by keyboard;
a second console on the same file sees each write without a key being pressed; the
CLI reads and exports in between, as scripts and the information officer do; the
handover pack and a bulletin are made at the end. Everything is the installed binary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import OFFICER, Desk, sign_in
from tests.e2e.terminal import Terminal
from tests.e2e.test_desk import open_demo, register, shown

Start = Callable[..., Terminal]

# One console test at a time (pytest-xdist runs the rest of the suite beside them): they
# type at a person's pace into real processes, and two of them racing on two cores would
# test the machine's load, not the desk.
pytestmark = pytest.mark.xdist_group("terminals")

# (key, what the officer types first into the field that has the focus, the note text)
# The form of each kind opens on its first field: a person, a department, an entry
# referred to, or the text itself.
FOLLOW_UPS: list[tuple[str, str, str | None, str]] = [
    ("v", "verified", None, "经与区应急局核实：货车起火属实，已扑灭。"),
    ("p", "phone report", "", "已电话报告带班领导。"),
    ("f", "first report", "市委办公室", "书面首报已报市委办公室。"),
    ("c", "continued report", None, "续报：现场交通已恢复。"),
    ("i", "leader instruction", "孙丽", "请区政府做好善后，查明起火原因。"),
    ("t", "assigned", "区应急管理局", "交区应急管理局牵头查明原因。"),
    ("s", "supervision", None, "督办：请今日17时前反馈。"),
    ("d", "feedback", "select", "区应急管理局反馈：系电路老化引发。"),
    ("o", "note", None, "值班员备注：司机已做笔录。"),
    ("w", "final report", None, "终报：处置完毕，无人员伤亡。"),
]


ENTRY_OPTION = re.compile(r"#\d+ +\d\d:\d\d")
"""An earlier entry in the list a feedback form opens (``#3 02:22 phone report``)."""


def log_entry(console: Terminal, key: str, title: str, first: str | None, text: str) -> None:
    """Log one follow-up entry on the incident under the cursor, by keyboard."""
    console.type(key)
    form = f"Follow-up: {title}"
    console.wait_for(form, why=f"the {title} form")
    # A person looks at the form before typing: the focus lands on its first field in
    # a frame after the form is drawn (for a select only its colour shows it), and keys
    # sent before that go elsewhere: wait until the screen, colours included, is still.
    console.steady()
    if first == "select":
        # The entry this feedback answers: open the list, take the first answerable one.
        console.press("enter")
        console.wait_for(lambda s: ENTRY_OPTION.search(s) is not None, why="the entries listed")
        console.steady()
        console.press("down")
        console.steady()
        console.press("enter")
        console.wait_for(lambda s: "Choose the entry" not in s, why="the entry chosen")
        console.press_to_move_focus("tab")
    elif first is not None:
        if first:
            console.type(first)
            console.wait_for(first, why="the typed name")
        console.press_to_move_focus("tab")  # the focus moves in a later frame
        if key in ("i", "t"):  # past the feedback due date: the rules' default
            console.press_to_move_focus("tab")
    console.type(text)
    console.wait_for(text[:6], why="the typed text")
    console.press("ctrl+s")
    console.wait_for(lambda s: form not in s and text[:10] in s, why=f"{title} saved")


@pytest.mark.slow
def test_a_whole_night_from_the_readme_first_command(
    desk: Desk, terminals: Start, tmp_path: Path
) -> None:
    officer = open_demo(desk, terminals)
    colleague = terminals(desk, "--db", str(desk.db))
    sign_in(colleague, "李晓明", "1111")

    serial = register(officer, "幸福路口一辆货车起火，司机自行逃生，无人员伤亡。")
    # The colleague's console shows the new incident without a key being pressed.
    colleague.wait_for(serial, why="the other console's new incident")
    colleague.type("/")
    colleague.wait_for("Search")
    colleague.type(serial)
    colleague.wait_for(lambda s: s.count(serial) >= 2, why="the search result")
    colleague.press("enter")  # one Enter opens the selected result
    colleague.wait_for(f"Follow-up timeline: {serial}", why="the colleague follows it")

    # The final report closes the incident (it leaves the open queue): it comes last,
    # after the handover pack and the bulletin that are made from the open incident.
    for number, (key, title, first, text) in enumerate(FOLLOW_UPS[:-1], start=1):
        if key == "f":  # the written report must say when it happened: the caller said
            happened = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
            desk.cli(
                "incident", "edit", serial, "--occurred", happened, "--db", str(desk.db),
                "--operator", OFFICER[0], pin=OFFICER[1],
            )  # fmt: skip
            officer.wait_for("occurred ", why="the other process's edit, shown live")
        log_entry(officer, key, title, first, text)
        colleague.wait_for(text[:10], why=f"the other console sees the {title}")
        if number % 3 == 0:  # the information officer's script reads in between
            entries = shown(desk, serial)["timeline"]
            assert isinstance(entries, list)
            assert any(text[:10] in str(entry) for entry in entries)

    listing = desk.cli(
        "incident", "list", "--db", str(desk.db), "--operator", OFFICER[0], "--format", "json",
        "--all", pin=OFFICER[1],
    )  # fmt: skip
    assert serial in [row["serial"] for row in json.loads(listing.stdout)]

    officer.type("h")  # the 08:30 handover pack
    # The pack's own text and keys: the header's "Handover in …" and the queue's serial
    # are on the screen before the pack is, and an escape sent then closed nothing.
    officer.wait_for(
        lambda s: "Duty handover pack" in s and "Acknowledge" in s and serial in s,
        why="the handover pack",
    )
    officer.press("escape")
    # The queue's title shows behind the pack too: wait for the pack's keys to go, or a
    # "b" right after the escape is read as alt+b (it was, once, on a loaded machine).
    officer.wait_for(lambda s: "Incident queue" in s and "Acknowledge" not in s)

    officer.type("b")  # a bulletin from the incident under the cursor
    officer.wait_for("enter drafts the bulletin", why="the bulletin set-up")
    officer.pump(0.3)
    officer.press("enter")
    officer.wait_for("Drafted bulletin #", why="the draft, prefilled from the timeline")
    officer.press("f2")  # review: saves it and marks it reviewed
    officer.wait_for(lambda s: "reviewed" in s, why="the draft reviewed")
    officer.press("escape")
    officer.wait_for("Incident queue")
    bulletins = desk.cli(
        "bulletin", "list", "--db", str(desk.db), "--operator", OFFICER[0], pin=OFFICER[1]
    )
    assert "货车起火" in bulletins.stdout or serial in bulletins.stdout

    pack = desk.cli(
        "handover", "--db", str(desk.db), "--operator", OFFICER[0], "--preview", pin=OFFICER[1]
    )
    assert serial in pack.stdout
    export = tmp_path / "day.xlsx"
    desk.cli(
        "export", "daily", "--db", str(desk.db), "--operator", OFFICER[0], "--format", "xlsx",
        "-o", str(export), pin=OFFICER[1],
    )  # fmt: skip
    sheet = load_workbook(export).active
    assert sheet is not None
    cells = {str(c.value) for row in sheet.iter_rows() for c in row}
    assert serial in cells

    key, title, first, text = FOLLOW_UPS[-1]
    log_entry(officer, key, title, first, text)
    colleague.wait_for(text[:10], why="the other console sees the final report")

    for console in (colleague, officer):
        console.press("ctrl+q")
        assert console.exited() == 0
    verified = desk.cli("verify", "--db", str(desk.db), check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
