"""Classified content: sealed at rest, opened only for the cleared, every view audited.

A canary string goes into a 机密 (secret) incident's title, summary and timeline; it must
never be in the database file or its WAL, must come back to a cleared reader, and must be
withheld from everybody else in every service output.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from dutydesk.config import Settings
from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.reports import daily as daily_report
from dutydesk.reports import daily_office
from dutydesk.rules.dates import duty_day_of
from dutydesk.rules.deadlines import load_rules
from dutydesk.services.bulletins.read import get_bulletin
from dutydesk.services.bulletins.write import draft_bulletin
from dutydesk.services.handover.pack import build_pack
from dutydesk.services.handover.store import record_pack, snapshot
from dutydesk.services.incidents import listing, search, timeline
from dutydesk.services.incidents.daily import daily_summary
from dutydesk.services.incidents.edits import update_fields
from dutydesk.services.incidents.followup import NewEntry, add_entry
from dutydesk.services.incidents.incident import create_incident
from dutydesk.services.incidents.intake import NewIncident, find_similar
from dutydesk.services.incidents.queue import fetch_window
from dutydesk.services.incidents.records import IncidentError
from dutydesk.storage.crypto import KeyRing
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident, Person
from dutydesk.vocab import BulletinKind, Classification, EntryKind
from tests.conftest import DEMO_MOMENT
from tests.request_support import request

TZ = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
T0 = DEMO_MOMENT - timedelta(hours=2)
DAY_START = time(8, 30)
T0_DUTY_DAY = duty_day_of(T0, TZ, DAY_START)
"""The 值班日 T0 (00:31 on the 26th) falls in: the 25th's night."""
CANARY = "金丝雀暗号QX7"
SECRET = Classification.SECRET
INTERNAL = Classification.INTERNAL


def _people(db: Database) -> None:
    """张三 (named on the 机密 incident) and 李四 (as cleared, not named)."""
    with db.session() as session:
        if session.exec(select(Person).where(Person.name == "张三")).first() is None:
            session.add(Person(name="张三", unit="值班室", clearance=SECRET))
            session.add(Person(name="李四", unit="信息科", clearance=SECRET))


def _incident(db: Database, level: str, title: str, summary: str) -> Incident:
    _people(db)
    with db.session() as session:
        incident = create_incident(
            request(session, now=T0, tz=TZ, rules=RULES),
            NewIncident(
                received_at=T0,
                channel="phone",
                category="accident",
                severity="II",
                classification=level,
                title=title,
                summary=summary,
                location="某区",
                readers=("张三",),  # 知悉范围: a level alone opens nothing (issue 13)
            ),
            session=session,
        )
        session.expunge(incident)
        return incident


@pytest.fixture
def secret(db: Database) -> Incident:
    """A 机密 incident with the canary in title, summary and a follow-up entry."""
    incident = _incident(db, "secret", f"标题{CANARY}", f"据报{CANARY}，化工厂泄漏")
    with db.session() as session:
        row = session.get(Incident, incident.id)
        assert row is not None
        add_entry(
            request(session, now=T0 + timedelta(minutes=5), rules=RULES),
            row,
            NewEntry(
                kind=EntryKind.NOTE, occurred_at=T0 + timedelta(minutes=5), text=f"续报{CANARY}"
            ),
            session=session,
        )
    with db.session() as session:
        update_fields(
            request(session, now=T0 + timedelta(minutes=6), rules=RULES, clearance="top_secret"),
            session=session,
            incident_id=incident.id,  # type: ignore[arg-type]
            expected_version=None,
            changes={"summary": f"更正{CANARY}，已控制"},
        )
    return incident


def _on_disk(path: Path) -> bytes:
    data = b""
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            data += name.read_bytes()
    return data


@pytest.mark.sqlite_only("reads the SQLite file and its WAL for the canary")
def test_canary_never_at_rest_in_clear(db: Database, db_path: Path, secret: Incident) -> None:
    data = _on_disk(db_path)
    assert CANARY.encode() not in data
    assert "化工厂".encode() not in data
    key_file = Path(f"{db_path}.key")
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600


def test_cleared_reader_gets_text_and_a_view_is_audited(db: Database, secret: Incident) -> None:
    rows = fetch_window(db, 0, 10, SECRET, viewer="张三")
    assert rows[0].title == f"标题{CANARY}"
    detail = timeline.fetch_detail(db, secret.id, SECRET, viewer="张三")  # type: ignore[arg-type]
    assert detail is not None and detail.summary == f"更正{CANARY}，已控制"
    texts = [entry.text for entry in detail.entries]
    assert texts[0] == f"据报{CANARY}，化工厂泄漏"
    assert f"续报{CANARY}" in texts
    assert any(CANARY in text for text in texts if text.startswith("summary:"))
    record = listing.get_incident(request(db, clearance=SECRET, viewer="张三"), secret.serial)
    assert record.title == f"标题{CANARY}" and len(record.timeline) == 3
    listed = listing.list_incidents(request(db, clearance=SECRET, viewer="张三"))
    assert listed[0].summary == f"更正{CANARY}，已控制"
    views = db.read(
        "SELECT object_type, object_id, detail FROM audit_event "
        "WHERE action = 'classified_viewed' ORDER BY id"
    )
    # Every read that showed the content is one view, named by serial, never by content:
    # the queue, the timeline and the list (all 张三's, who is named; the record read just
    # after the timeline is the same view of the same reader).
    assert [row.object_type for row in views] == ["queue", "incident", "incident_list"]
    assert all(row.object_id == secret.serial and CANARY not in row.detail for row in views)


def test_uncleared_reader_sees_restricted_everywhere(db: Database, secret: Incident) -> None:
    now = DEMO_MOMENT
    outputs: list[str] = []
    rows = fetch_window(db, 0, 10, INTERNAL)
    assert rows[0].restricted
    outputs.append(repr(rows))
    detail = timeline.fetch_detail(db, secret.id, INTERNAL)  # type: ignore[arg-type]
    assert detail is not None and detail.restricted
    outputs.append(repr(detail))
    assert timeline.fetch_editable(db, secret.id, INTERNAL) is None  # type: ignore[arg-type]
    outputs.append(repr(listing.get_incident(request(db), secret.serial)))
    outputs.append(repr(listing.list_incidents(request(db))))
    outputs.append(repr(search.search(request(db, clearance=INTERNAL), secret.serial).rows))
    similar = find_similar(
        request(db, clearance=INTERNAL),
        category="accident",
        location="某区",
        summary="x",
        received_at=T0,
    )
    assert similar == []  # issue 13: its sealed place is compared only for a named reader
    outputs.append(repr(similar))
    settings = Settings()
    pack = build_pack(
        request(db, now=now, rules=RULES), start=T0 - timedelta(hours=1), at=now, settings=settings
    )
    outputs.append(snapshot(pack))
    summary = daily_summary(request(db, tz=TZ, now=now), T0_DUTY_DAY, day_start=DAY_START)
    assert summary.rows[0].restricted
    outputs.append(daily_report.render_json(summary, TZ))
    outputs.append(daily_report.render_md(summary, TZ))
    for blob in (daily_office.render_xlsx(summary, TZ), daily_office.render_docx(summary, TZ)):
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            outputs.extend(
                archive.read(name).decode(errors="replace") for name in archive.namelist()
            )
    bulletin = draft_bulletin(db, kind=BulletinKind.EXPRESS, serials=[secret.serial],
                              actor="张三", now=now, tz=TZ, clearance=SECRET)  # fmt: skip
    view = get_bulletin(db, bulletin, tz=TZ, now=now, clearance=INTERNAL)
    assert view.restricted
    outputs.append(repr(view))
    from dutydesk.services.bulletins.short_version import short_version

    try:
        outputs.append(short_version(db, bulletin).full)
    except DutyDeskError as refused:  # a bulletin of classified items only has none
        outputs.append(str(refused))
    for text in outputs:
        assert CANARY not in text
        assert "enc:v1:" not in text
    if db.path is not None:  # a server's files are its own
        assert CANARY.encode() not in _on_disk(db.path)
    cleared = get_bulletin(db, bulletin, tz=TZ, now=now, clearance=SECRET, viewer="张三")
    assert CANARY in cleared.body


def test_handover_for_cleared_reader_is_sealed_when_stored(
    db: Database, db_path: Path, secret: Incident
) -> None:
    now = DEMO_MOMENT
    pack = build_pack(
        request(db, now=now, rules=RULES, clearance=SECRET, viewer="张三"),
        start=T0 - timedelta(hours=1),
        at=now,
        settings=Settings(),
    )
    assert any(CANARY in item.title for item in pack.open)
    record_pack(db, pack, actor="张三")
    if db.is_sqlite:  # a server's files are its own
        assert CANARY.encode() not in _on_disk(db_path)
    assert db.read("SELECT count(*) FROM audit_event WHERE action = 'classified_viewed'")[0][0]


def test_search_does_not_match_classified_content(db: Database, secret: Incident) -> None:
    _incident(db, "internal", "公开事件", f"公开{CANARY}")
    for level in (INTERNAL, SECRET):
        found = search.search(request(db, clearance=level), CANARY).rows
        assert [row.classification for row in found] == [INTERNAL]
        assert [
            r.serial for r in search.search(request(db, clearance=level), secret.serial).rows
        ] == [secret.serial]
    by_serial = search.search(request(db, clearance=SECRET, viewer="张三"), secret.serial).rows
    assert by_serial[0].title == f"标题{CANARY}"


def test_wrong_or_missing_key_gives_a_placeholder(
    db: Database, db_path: Path, secret: Incident
) -> None:
    key_file = Path(f"{db_path}.key")
    key_file.unlink()
    missing = fetch_window(db, 0, 10, SECRET, viewer="张三")[0].title
    assert missing == t("crypto.key_missing")
    KeyRing.create(key_file)  # somebody else's key
    detail = timeline.fetch_detail(db, secret.id, SECRET, viewer="张三")  # type: ignore[arg-type]
    assert detail is not None
    assert detail.title == t("crypto.unreadable")
    assert all(entry.text == t("crypto.unreadable") for entry in detail.entries)
    assert "enc:v1:" not in repr(detail)


def test_unsafe_key_file_is_refused(db: Database, db_path: Path, secret: Incident) -> None:
    from dutydesk.cli.runtime import check_key_file_safe

    key_file = Path(f"{db_path}.key")  # beside the file; the db fixture's key_file on a server
    os.chmod(key_file, 0o644)
    settings = Settings() if db.is_sqlite else Settings(key_file=str(key_file))
    with pytest.raises(DutyDeskError, match="chmod 600"):
        check_key_file_safe(settings, db)


def test_a_sealed_incident_may_be_raised_but_not_lowered(db: Database, secret: Incident) -> None:
    """机密 -> 绝密: earlier entries stay sealed at 机密 and open for 绝密 readers only."""
    with db.session() as session:
        update_fields(
            request(session, now=DEMO_MOMENT, rules=RULES, clearance="top_secret"),
            session=session,
            incident_id=secret.id,  # type: ignore[arg-type]
            expected_version=None,
            changes={"classification": "top_secret"},
        )
    top = timeline.fetch_detail(db, secret.id, Classification.TOP_SECRET, viewer="张三")  # type: ignore[arg-type]
    assert top is not None and top.classification is Classification.TOP_SECRET
    assert top.title is not None and top.summary is not None  # opened, not restricted
    assert CANARY in top.title and CANARY in top.summary
    assert any(CANARY in entry.text for entry in top.entries)  # sealed at 机密, opened
    assert not any(t("crypto.unreadable") in entry.text for entry in top.entries)
    lower = timeline.fetch_detail(db, secret.id, SECRET, viewer="张三")  # type: ignore[arg-type]
    assert lower is not None and lower.restricted and CANARY not in repr(lower)
    for level in ("confidential", "internal"):
        with db.session() as session, pytest.raises(IncidentError, match="not lowered"):
            update_fields(
                request(session, now=DEMO_MOMENT, rules=RULES, clearance="top_secret"),
                session=session,
                incident_id=secret.id,  # type: ignore[arg-type]
                expected_version=None,
                changes={"classification": level},
            )


def test_a_lowered_label_written_around_dutydesk_opens_nothing(
    db: Database, secret: Incident
) -> None:
    """Relabelling in the database itself (机密 -> 秘密): sealed text stays shut."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            f"UPDATE incident SET classification = 'confidential' WHERE id = {int(secret.id or 0)}"  # noqa: S608 - an int
        )
    detail = timeline.fetch_detail(db, secret.id, Classification.TOP_SECRET, viewer="张三")  # type: ignore[arg-type]
    assert detail is not None
    assert CANARY not in repr(detail)
    assert detail.title is not None  # shown as unreadable, not restricted
    assert t("crypto.unreadable") in detail.title


def test_relabelling_up_seals_title_and_summary(db: Database, db_path: Path) -> None:
    plain = _incident(db, "internal", "普通标题", "普通摘要")
    with db.session() as session:
        update_fields(
            request(session, now=DEMO_MOMENT, rules=RULES, clearance="top_secret"),
            session=session,
            incident_id=plain.id,  # type: ignore[arg-type]
            expected_version=None,
            changes={"classification": "secret", "title": f"升级{CANARY}"},
        )
    stored = db.read("SELECT title, summary FROM incident WHERE id = :id", {"id": plain.id})
    assert all(str(value).startswith("enc:v1:") for value in stored[0])
    detail = timeline.fetch_detail(db, plain.id, SECRET, viewer="张三")  # type: ignore[arg-type]
    assert detail is not None
    assert (detail.title, detail.summary) == (f"升级{CANARY}", "普通摘要")
    if db.is_sqlite:  # a server's files are its own: the stored values above are the check
        assert CANARY.encode() not in _on_disk(db_path)


def test_verify_still_passes_with_sealed_entries(db: Database, secret: Incident) -> None:
    from dutydesk.services.integrity.verify import verify

    report = verify(db)
    assert report.ok, report.problems


def test_encrypt_existing_seals_rows_stored_in_clear(db: Database, db_path: Path) -> None:
    from dutydesk.services.integrity.keys import encrypt_existing
    from dutydesk.services.integrity.sealed import ring_for

    old = _incident(db, "internal", "旧标题", f"旧{CANARY}")
    with db.session() as session:  # as an older version stored a 机密 incident
        row = session.get(Incident, old.id)
        assert row is not None
        row.classification = SECRET
    keys = ring_for(db, create=True)
    done = encrypt_existing(db, keys, None, DEMO_MOMENT)
    assert (done.sealed, done.left_in_clear) == (2, 1)
    detail = timeline.fetch_detail(db, old.id, SECRET, viewer="张三")  # type: ignore[arg-type]
    assert detail is not None and detail.summary == f"旧{CANARY}"
    assert encrypt_existing(db, keys, None, DEMO_MOMENT).sealed == 0


def test_no_new_key_file_over_sealed_data(db: Database, db_path: Path, secret: Incident) -> None:
    from dutydesk.storage.crypto import KeyFileError

    Path(f"{db_path}.key").unlink()
    with pytest.raises(KeyFileError, match="holds encrypted text"):
        _incident(db, "secret", "新", "新的机密报告")
    assert not Path(f"{db_path}.key").exists()
