"""A leader instruction is always printed with who gave it (issue 10, defect 12).

The bulletin body, its DOCX, the SMS/WeChat short version, ``incident show`` and the
console's timeline name the leader an instruction came from; none says it went "to" them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document

from dutydesk.rules.deadlines import load_rules
from dutydesk.rules.sms import SMS_LIMIT, join_segments, units
from dutydesk.services.incidents.followup import NewEntry
from dutydesk.services.incidents.incident import add_entry
from dutydesk.storage.engine import Database
from dutydesk.storage.models import Incident
from tests.conftest import DEMO_MOMENT
from tests.docs_support import CANARY, Night, run_cli, seed_night
from tests.request_support import request

INSTRUCTION = "请市卫健委全力救治伤员，市应急管理局牵头做好善后"
ATTRIBUTED = f"孙丽同志批示：{INSTRUCTION}。"


def add_instruction(db: Database, serial: str, leader: str, text: str) -> None:
    """A leader instruction on ``serial`` at 02:01, as the form or ``incident log`` records it."""
    from sqlmodel import select

    at = DEMO_MOMENT - timedelta(minutes=30)
    with db.session() as session:
        incident = session.exec(select(Incident).where(Incident.serial == serial)).one()
        add_entry(
            request(session, actor_name="李晓明", now=at, rules=load_rules()),
            incident,
            NewEntry(kind="leader_instruction", occurred_at=at, text=text, target=leader),
            session=session,
        )


@pytest.fixture
def night(db: Database, monkeypatch: pytest.MonkeyPatch) -> Night:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "杨帆")
    found = seed_night(db)
    add_instruction(db, found.open_serial, "孙丽", INSTRUCTION)
    return found


def issued(capsys: pytest.CaptureFixture[str], db_arg: str, *serials: str, sms_ok: str = "") -> str:
    """Draft, review, sign (``sms_ok``: a 内部 item 可发短信/微信) and issue; its id."""
    code, out, err = run_cli(
        capsys, db_arg, "bulletin", "draft", *serials, "--clearance", "secret",
        "--operator", "张振华",
    )  # fmt: skip
    assert code == 0, err
    bulletin_id = out.strip()
    allowed = ("--sms-ok", sms_ok) if sms_ok else ()
    for step in (("review", bulletin_id), ("sign", bulletin_id, "--by", "张振华", *allowed),
                 ("issue", bulletin_id)):  # fmt: skip
        code, _, err = run_cli(capsys, db_arg, "bulletin", *step)
        assert code == 0, err
    return bulletin_id


def test_bulletin_body_puts_the_leader_in_front(
    night: Night, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bulletin_id = issued(capsys, db_arg, night.open_serial)
    code, out, err = run_cli(capsys, db_arg, "bulletin", "show", bulletin_id)
    assert code == 0, err
    assert ATTRIBUTED in out.splitlines()


def test_bulletin_docx_puts_the_leader_in_front(
    night: Night, db_arg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bulletin_id = issued(capsys, db_arg, night.open_serial)
    target = tmp_path / "b.docx"
    code, _, err = run_cli(
        capsys, db_arg, "bulletin", "show", bulletin_id, "--format", "docx", "-o", str(target)
    )
    assert code == 0, err
    assert ATTRIBUTED in [p.text for p in Document(str(target)).paragraphs]


def test_short_version_carries_the_attributed_instruction_within_limits(
    night: Night, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The SMS names the leader too; segments stay within 70 units; classified stays out."""
    bulletin_id = issued(
        capsys, db_arg, night.open_serial, night.secret_serial, sms_ok=night.open_serial
    )
    code, out, err = run_cli(capsys, db_arg, "bulletin", "sms", bulletin_id)
    assert code == 0, err
    segments = out.splitlines()
    assert all(units(segment) <= SMS_LIMIT for segment in segments)
    whole = join_segments(segments)
    assert ATTRIBUTED in whole
    assert whole.index("孙丽同志批示") < whole.index("目前，")  # before the latest progress
    assert CANARY not in out + err and night.secret_serial in err  # left out, and said so


def test_an_instruction_already_naming_its_leader_is_not_named_twice(
    night: Night, db: Database, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    add_instruction(db, night.hostile_serial, "吴海峰", "吴海峰副市长批示：请依法妥善处置。")
    bulletin_id = issued(capsys, db_arg, night.hostile_serial)
    _, out, _ = run_cli(capsys, db_arg, "bulletin", "show", bulletin_id)
    assert "吴海峰副市长批示：请依法妥善处置。" in out.splitlines()
    assert "吴海峰同志批示" not in out


@pytest.mark.parametrize(
    ("language", "instruction", "report"),
    [("en", "from 孙丽", "to "), ("zh_CN", "批示人 孙丽", "报 ")],
)
def test_incident_show_says_the_instruction_came_from_the_leader(
    night: Night, db_arg: str, capsys: pytest.CaptureFixture[str],
    language: str, instruction: str, report: str,
) -> None:  # fmt: skip
    code, out, err = run_cli(
        capsys, db_arg, "--lang", language, "incident", "show", night.open_serial
    )
    assert code == 0, err
    line = next(line for line in out.splitlines() if INSTRUCTION[:6] in line)
    assert instruction in line
    assert "to 孙丽" not in out and "报 孙丽" not in out
