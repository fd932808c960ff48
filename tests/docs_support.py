"""Helpers for the bulletin, delivery and export tests: people, incidents, a canary."""

from __future__ import annotations

import html
import io
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from docx.oxml.ns import qn
from docx.shared import Length
from docx.text.run import Run

from dutydesk.rules.deadlines import load_rules
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.incident import add_entry, create_incident
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Person, PersonRole
from dutydesk.vocab import Classification
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.request_support import request

CANARY = "CANARY-机密-7f3e"
"""Stored only in the secret incident: must never leak to the uncleared or to SMS."""
FORMULA = '=HYPERLINK("http://x","y")'


def add_people(db: Database) -> None:
    """A duty leader, a leader and an information officer."""
    with db.session() as session:
        for name, roles, clearance in (
            ("张振华", ("duty_leader", "leader"), "secret"),
            ("周文斌", ("leader",), "top_secret"),
            ("杨帆", ("information_officer",), "confidential"),
        ):
            person = Person(name=name, clearance=Classification(clearance))
            session.add(person)
            session.flush()
            assert person.id is not None  # the flush assigned it
            for role in roles:
                session.add(PersonRole(person_id=person.id, role=role))


def add_incident(
    db: Database,
    *,
    title: str,
    summary: str,
    classification: str = "internal",
    received: datetime | None = None,
    entries: tuple[tuple[str, str], ...] = (),
    category: str = "accident",
    location: str = "",
    readers: tuple[str, ...] = (),
) -> str:
    """Register an incident (and timeline entries); returns its serial."""
    rules = load_rules()
    at = received or DEMO_MOMENT - timedelta(hours=1)
    with db.session() as session:
        incident = create_incident(
            request(session, actor_name="李晓明", now=at, tz=SHANGHAI, rules=rules),
            NewIncident(
                received_at=at,
                channel="phone",
                category=category,
                severity="II",
                classification=classification,
                title=title,
                summary=summary,
                reporter_unit="市应急管理局",
                location=location,
                occurred_at=at - timedelta(minutes=10),  # a written report must say when
                readers=readers,
            ),
            session=session,
        )
        for minutes, (kind, text) in enumerate(entries, start=1):
            add_entry(
                request(
                    session,
                    actor_name="李晓明",
                    now=at + timedelta(minutes=5 * minutes),
                    rules=rules,
                ),
                incident,
                NewEntry(kind=kind, occurred_at=at + timedelta(minutes=5 * minutes), text=text),
                session=session,
            )
        return incident.serial


@dataclass
class Night:
    """A small night: one open incident, one hostile one, one secret one with the canary."""

    open_serial: str
    hostile_serial: str
    secret_serial: str


def seed_night(db: Database) -> Night:
    """People and three incidents received in the hour before DEMO_MOMENT."""
    add_people(db)
    open_serial = add_incident(
        db,
        title="东湖区幸福路一居民楼发生燃气爆炸",
        summary="东湖区幸福路12号一居民楼发生燃气爆炸，3人受伤",
        entries=(
            ("verified", "经与东湖区应急管理局核实，情况属实。"),
            ("phone_report", "已电话报告带班领导。"),
            ("first_report", "已书面首报带班领导。"),
            ("continued_report", "续报：伤员已送医，无生命危险。"),
        ),
    )
    hostile_serial = add_incident(
        db,
        title=FORMULA,
        summary="@SUM(1+1)\x1b]52;c;ZWNobw==\x07 note [/] end",
        location="-2+3",
        category="public_request",
    )
    secret_serial = add_incident(
        db,
        title=f"省委办公厅密电 {CANARY}",
        summary=f"机密级密电，内容 {CANARY}。",
        classification="secret",
        entries=(("phone_report", f"已报带班领导 {CANARY}"),),
        category="other",
        # 知悉范围 (issue 13): the leader it was reported to and the information officer
        # who drafts the bulletin about it.
        readers=("张振华", "杨帆"),
    )
    return Night(open_serial, hostile_serial, secret_serial)


def zip_text(data: bytes) -> str:
    """Every member of an xlsx/docx, decoded and joined: to search for leaks.

    XML character references are resolved (openpyxl writes 机密 as ``&#26426;&#23494;``),
    so a leak cannot hide from the search behind them.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(
            html.unescape(archive.read(name).decode("utf-8", "replace"))
            for name in archive.namelist()
        )


def run_cli(
    capsys: pytest.CaptureFixture[str],
    db_path: Path | str,
    *args: str,
    now: str = "2026-11-26T02:31+08:00",
) -> tuple[int, str, str]:
    """Run ``dutydesk --db ... --now ... ARGS`` in-process; (exit code, stdout, stderr).

    ``db_path``: a file, or what the ``db_arg`` fixture gives (a server's URL too).
    """
    from dutydesk.cli.app import main

    capsys.readouterr()
    saved, sys.stdin = sys.stdin, io.StringIO("")
    try:
        main(["--db", str(db_path), "--now", now, *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdin = saved
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def mm(length: Length | None) -> float:
    """A length set in the document (python-docx reads an unset one as None), in mm."""
    assert length is not None, "not set in the document"
    return float(length.mm)  # python-docx leaves Length.mm unannotated


def pt(length: Length | None) -> float:
    """A length set in the document (python-docx reads an unset one as None), in points."""
    assert length is not None, "not set in the document"
    return float(length.pt)  # python-docx leaves Length.pt unannotated


def east_asia_font(run: Run) -> str | None:
    """The East Asian font named on the run itself (``w:rPr/w:rFonts/@w:eastAsia``)."""
    properties = run._element.rPr
    assert properties is not None, "the run has no properties of its own"
    fonts = properties.rFonts
    assert fonts is not None, "the run names no fonts"
    name = fonts.get(qn("w:eastAsia"))  # lxml's get, untyped here (no lxml stubs)
    return None if name is None else str(name)


def docx_lines(document: Any) -> list[str]:
    """A DOCX's text in reading order: each paragraph, and each table row as one line
    of its cells joined by a tab (the handover pack's items are a table, issue 14)."""
    from docx.table import Table

    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines += ["\t".join(cell.text for cell in row.cells) for row in block.rows]
        else:
            lines.append(block.text)
    return lines
