"""The handover pack: content on the demo night, need-to-know, 零报告, acknowledgement, DOCX."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn

from dutydesk.config import Settings
from dutydesk.i18n import label, set_language
from dutydesk.reports.handover import render_markdown, render_text
from dutydesk.reports.handover_docx import render_docx
from dutydesk.rules.deadlines import load_rules
from dutydesk.rules.handover import HandoverPack
from dutydesk.services.handover.pack import build_pack
from dutydesk.services.handover.store import (
    HandoverError,
    acknowledge,
    latest_unacknowledged,
    period_start,
    record_pack,
    snapshot,
)
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.storage.engine import Database
from dutydesk.vocab import Category, Classification, EntryKind, Position, Severity
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.docs_support import east_asia_font, pt
from tests.request_support import request
from tests.templates import DemoTemplates

S = Settings()
RULES = load_rules()
CANARY = "CANARY-绝不外泄-7f3a"


def pack_at(
    db: Database,
    at: datetime,
    clearance: Classification = Classification.INTERNAL,
    viewer: str | None = None,
) -> HandoverPack:
    start = period_start(db, at, S)
    req = request(db, now=at, rules=RULES, clearance=clearance, viewer=viewer)
    return build_pack(req, start=start, at=at, settings=S)


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    return demo_templates.load_into(db, DEMO_MOMENT)


def add_secret(db: Database) -> str:
    from dutydesk.services.incidents.incident import add_entry, create_incident

    with db.session() as session:
        incident = create_incident(
            request(session, actor_name="韩冬", now=DEMO_MOMENT, tz=SHANGHAI, rules=RULES),
            NewIncident(
                received_at=DEMO_MOMENT - timedelta(minutes=10),
                channel="cipher",
                category="social_security",
                severity="II",
                classification="secret",
                title=f"密电 {CANARY}",
                summary=f"内容 {CANARY}",
                reporter_name=CANARY,
                location=CANARY,
            ),
            session=session,
        )
        add_entry(
            request(session, actor_name="韩冬", now=DEMO_MOMENT, rules=RULES),
            incident,
            NewEntry(
                kind=EntryKind.LEADER_INSTRUCTION,
                occurred_at=DEMO_MOMENT - timedelta(minutes=5),
                text=f"批示 {CANARY}",
                target=f"领导{CANARY}",
            ),
            session=session,
        )
        return incident.serial


def test_the_demo_night_pack(demo: Database) -> None:
    pack = pack_at(demo, DEMO_MOMENT)
    # No handover acknowledged yet: the period starts at the previous 08:30.
    assert pack.period_start == datetime(2026, 11, 25, 8, 30, tzinfo=SHANGHAI)
    assert pack.received_total == 29 and pack.classified_received == 2
    assert sum(n for _, n in pack.by_category) == len(pack.received) == 27
    assert dict(pack.by_category)[Category.PUBLIC_REQUEST] == 9
    assert dict(pack.by_severity)[Severity.I] == 1
    assert [i.serial for i in pack.open][:3] == ["20261125-022", "20261126-006", "20261126-005"]
    assert all(i.due_step and i.due_at for i in pack.open)
    # Issue 12: only what is really late. The residents' letter about a lift (013) and the
    # SMS about heating (014) are requests on their own clocks (转办 within a working
    # day), not emergencies owing a written first report.
    assert [(o.serial, o.step) for o in pack.overdue] == [("20261125-022", "first_report")]
    assert all(o.due_at <= DEMO_MOMENT for o in pack.overdue)
    # An instruction is followed to 报结 whatever happened to its matter: 郑明's (009)
    # has its feedback but is not reported back yet; 吴海峰's (001) was, and is done.
    assert [(i.serial, i.leader) for i in pack.instructions] == [
        ("20261125-019", "周文斌"), ("20261125-009", "郑明"), ("20261125-008", "陈国华"),
    ]  # fmt: skip
    assert [(a.leader, a.acting) for a in pack.away] == [("刘志远", "陈国华"), ("吴海峰", "郑明")]
    day, night = pack.roster
    assert [s.name for s in day.seats] == ["王立新", "钱磊", "林小雅", "冯晓燕"]
    assert night.seats[0].position is Position.DUTY_LEADER and night.seats[0].name == "张振华"
    assert [(c.serial, c.classification) for c in pack.classified] == [
        ("20261125-012", Classification.SECRET), ("20261126-001", Classification.CONFIDENTIAL),
    ]  # fmt: skip
    assert pack.bulletins == () and not pack.zero_report
    text = render_text(pack, SHANGHAI)
    for fragment in (
        "20261125-012  " + label(Classification.SECRET),
        "周文斌",
        "刘志远",
        "overdue",
        "张振华",
    ):
        assert fragment in text


def test_the_build_pauses_garbage_collection_and_leaves_the_collector_on(
    demo: Database,
) -> None:
    # Issue 16, counted rather than timed: the collector swept the pack's many short-lived
    # objects again and again (a fifth to a quarter of a 10,000-incident build's CPU).
    import gc

    runs: list[str] = []

    def noted(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            runs.append(phase)

    start = period_start(demo, DEMO_MOMENT, S)
    req = request(demo, now=DEMO_MOMENT, rules=RULES)
    gc.collect()  # what the fixtures left is not the build's
    gc.callbacks.append(noted)
    try:
        pack = build_pack(req, start=start, at=DEMO_MOMENT, settings=S)
    finally:
        gc.callbacks.remove(noted)
    assert pack.received_total == 29
    assert len(runs) <= 1  # at most the one switching it back on starts
    assert gc.isenabled()


def test_a_cleared_reader_sees_what_they_are_cleared_for(demo: Database) -> None:
    # 孙丽 is named in both telegrams' 知悉范围 (issue 13: a level alone opens nothing).
    pack = pack_at(demo, DEMO_MOMENT, clearance=Classification.SECRET, viewer="孙丽")
    assert pack.received_total == 29 == len(pack.received)
    # Section 8 is the register of every classified item, for the cleared reader too
    # (issue 13): the two telegrams are listed there and shown, marked, among the others.
    assert [c.serial for c in pack.classified] == ["20261125-012", "20261126-001"]
    assert pack.classified_received == 2
    assert pack.marking is not None and pack.marking.level is Classification.SECRET
    unnamed = pack_at(demo, DEMO_MOMENT, clearance=Classification.SECRET, viewer="王立新")
    assert len(unnamed.classified) == 2 and unnamed.marking is None  # shown nothing classified


def test_a_classified_canary_never_reaches_an_uncleared_pack(demo: Database) -> None:
    serial = add_secret(demo)
    pack = pack_at(demo, DEMO_MOMENT)
    assert serial in [c.serial for c in pack.classified]
    stored = record_pack(demo, pack, actor="李晓明")
    outputs = {
        "txt": render_text(stored, SHANGHAI),
        "md": render_markdown(stored, SHANGHAI),
        "json": snapshot(stored),
        "stored": str(demo.read("SELECT snapshot FROM handover")[0][0]),
    }
    docx_text = "\n".join(
        p.text for p in Document(io.BytesIO(render_docx(stored, SHANGHAI))).paragraphs
    )
    outputs["docx"] = docx_text
    for name, output in outputs.items():
        assert serial in output, name
        assert CANARY not in output, name
    cleared = pack_at(demo, DEMO_MOMENT, clearance=Classification.SECRET, viewer="韩冬")
    assert CANARY in render_text(cleared, SHANGHAI)  # the canary is really there


def test_zero_report_when_nothing_happened(db: Database) -> None:
    set_language("zh_CN")
    pack = pack_at(db, DEMO_MOMENT)
    assert pack.zero_report and pack.received_total == 0
    text = render_text(pack, SHANGHAI)
    assert "零报告" in text and "未排班" in text


def test_acknowledgement_starts_the_next_period(demo: Database) -> None:
    meeting = datetime(2026, 11, 26, 8, 30, tzinfo=SHANGHAI)
    first = record_pack(demo, pack_at(demo, meeting), actor="李晓明")
    assert first.handover_id == latest_unacknowledged(demo)
    done = acknowledge(
        demo, first.handover_id or 0, ["王立新", "钱磊"], meeting + timedelta(minutes=12)
    )
    assert done.names == ("王立新", "钱磊")
    row = demo.read("SELECT acknowledged_by, acknowledged_at, chain_head FROM handover")[0]
    assert row[0] == "王立新、钱磊" and row[1] is not None and row[2]
    assert latest_unacknowledged(demo) is None
    later = pack_at(demo, meeting + timedelta(hours=2))
    assert later.period_start == meeting  # where the acknowledged pack ended
    assert later.zero_report and later.received == ()
    with pytest.raises(HandoverError, match="already acknowledged by 王立新、钱磊"):
        acknowledge(demo, first.handover_id or 0, ["赵静"], meeting)
    with pytest.raises(HandoverError, match="--names"):
        acknowledge(demo, first.handover_id or 0, [" "], meeting)
    stored = json.loads(demo.read("SELECT snapshot FROM handover")[0][0])
    assert stored["period_end"] == meeting.isoformat() or stored["period_end"].startswith(
        "2026-11-26"
    )


def _mm(value: int | None) -> float:
    assert value is not None
    return round(value / 36000, 1)


def test_docx_follows_gb_t_9704(demo: Database) -> None:
    set_language("zh_CN")
    document = Document(io.BytesIO(render_docx(pack_at(demo, DEMO_MOMENT), SHANGHAI)))
    section = document.sections[0]
    assert (_mm(section.page_width), _mm(section.page_height)) == (210.0, 297.0)
    margins = (section.top_margin, section.left_margin, section.bottom_margin, section.right_margin)
    assert tuple(_mm(m) for m in margins) == (37.0, 28.0, 35.0, 26.0)
    grid = section._sectPr.find(qn("w:docGrid"))
    # Lines only, the characters condensed by 0.25 pt: 28 a line in Word and LibreOffice
    # alike (docx_style.CHAR_SPACING_TWIPS; tests/test_rendered_docs.py measures it).
    assert grid.get(qn("w:type")) == "lines"
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt: 22 lines in 225 mm
    assert grid.get(qn("w:charSpace")) is None
    normal = document.styles["Normal"].element.rPr
    assert normal.find(qn("w:spacing")).get(qn("w:val")) == "-5"
    title = document.paragraphs[0]
    assert title.text == "值班交接班材料"
    run = title.runs[0]
    assert pt(run.font.size) == 22
    assert east_asia_font(run) == "方正小标宋简体"
    body = next(p for p in document.paragraphs if p.text.startswith("20261125-019"))
    body_run = body.runs[0]
    assert pt(body_run.font.size) == 16
    assert east_asia_font(body_run) == "仿宋_GB2312"
    assert body.paragraph_format.line_spacing.pt == pytest.approx(28.95, abs=0.05)
    # The items as a table an office files (serial, time, category, grade, summary,
    # state), 五号仿宋, ruled, the header row repeated on each page (issue 14).
    received, still_open = document.tables[:2]
    assert [c.text for c in received.rows[0].cells] == [
        "编号", "接报时间", "类别", "级别", "事项", "状态",
    ]  # fmt: skip
    row = next(r for r in received.rows if r.cells[0].text == "20261125-013")
    assert [c.text for c in row.cells][2:4] == ["群众诉求", "未定级"]
    cell_run = row.cells[4].paragraphs[0].runs[0]
    assert pt(cell_run.font.size) == 10.5 and east_asia_font(cell_run) == "仿宋_GB2312"
    header_row = received.rows[0]._tr.trPr
    assert header_row is not None and header_row.find(qn("w:tblHeader")) is not None
    assert [c.text for c in still_open.rows[0].cells] == ["编号", "事项", "下一步", "时限"]
    heading = next(p for p in document.paragraphs if p.text == "一、接报情况")
    assert east_asia_font(heading.runs[0]) == "黑体"
    table = next(
        p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"
    )
    xml = table.blob.decode("utf-8")
    assert 'w:name="方正小标宋简体"' in xml and 'w:val="华文中宋"' in xml
    assert 'w:name="仿宋_GB2312"' in xml and 'w:val="仿宋"' in xml
