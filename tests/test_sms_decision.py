"""内部 is not free to send (issue 13): a 内部 item goes into a short version only when
sign-off recorded "可发短信/微信" for it; 公开 items unchanged, 秘密 and above never."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from dutydesk.services.bulletins.delivery import deliver
from dutydesk.services.bulletins.read import BulletinError, get_bulletin
from dutydesk.services.bulletins.short_version import short_version
from dutydesk.services.bulletins.write import (
    draft_bulletin,
    edit_bulletin,
    issue_bulletin,
    review_bulletin,
    sign_bulletin,
)
from dutydesk.storage.engine import Database
from dutydesk.vocab import BulletinKind, Classification
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.docs_support import CANARY, Night, add_incident, run_cli, seed_night
from tests.request_support import request

NOW = DEMO_MOMENT


@pytest.fixture
def night(db: Database) -> Night:
    return seed_night(db)


def _reviewed(db: Database, *serials: str) -> int:
    bulletin_id = draft_bulletin(
        db, kind=BulletinKind.EXPRESS, serials=serials, actor="杨帆", now=NOW, tz=SHANGHAI,
        clearance=Classification.SECRET,
    )  # fmt: skip
    review_bulletin(db, bulletin_id, actor="杨帆", now=NOW)
    return bulletin_id


def _issued(db: Database, *serials: str, sms_ok: tuple[str, ...] = ()) -> int:
    bulletin_id = _reviewed(db, *serials)
    sign_bulletin(db, bulletin_id, signer="张振华", actor="杨帆", now=NOW, sms_ok=sms_ok)
    issue_bulletin(request(db, actor_name="杨帆", now=NOW, tz=SHANGHAI), bulletin_id)
    return bulletin_id


def test_an_internal_item_without_the_decision_gives_no_short_version(
    db: Database, night: Night, tmp_path: Path
) -> None:
    bulletin_id = _issued(db, night.open_serial)
    with pytest.raises(BulletinError, match="可发短信/微信") as refused:
        short_version(db, bulletin_id)
    assert "\n" not in str(refused.value) and "幸福路" not in str(refused.value)
    with pytest.raises(BulletinError, match="可发短信/微信"):
        deliver(db, bulletin_id, outbox=tmp_path / "out", webhook_url=None, actor="杨帆", now=NOW)
    assert not (tmp_path / "out").exists()  # nothing written


def test_the_signer_decides_per_item_and_the_rest_are_counted(db: Database, night: Night) -> None:
    bulletin_id = _issued(db, night.open_serial, night.hostile_serial, sms_ok=(night.open_serial,))
    version = short_version(db, bulletin_id)
    assert "幸福路" in version.full
    assert "SUM" not in version.full  # the hostile item's text: 内部, not decided
    assert version.held_back == 1
    assert version.note is not None
    [line] = version.note.splitlines()
    assert "1" in line and "可发短信/微信" in line
    assert night.hostile_serial not in line  # a count, no content
    rows = db.read("SELECT detail FROM audit_event WHERE action = 'bulletin.sms_allowed'")
    assert [row.detail for row in rows] == [f"sms allowed: {night.open_serial}"]


def test_public_items_need_no_decision_and_classified_never_go(db: Database, night: Night) -> None:
    public = add_incident(
        db, title="公开通报的道路施工", summary="道路施工封闭", classification="public"
    )
    bulletin_id = _reviewed(db, public, night.secret_serial, night.open_serial)
    for serial, reason in (
        (night.secret_serial, "never"),
        (public, "needs no"),
        ("20991231-001", "not an item"),
    ):
        with pytest.raises(BulletinError, match=reason):
            sign_bulletin(db, bulletin_id, signer="张振华", actor="杨帆", now=NOW, sms_ok=(serial,))
    sign_bulletin(db, bulletin_id, signer="张振华", actor="杨帆", now=NOW)
    version = short_version(db, bulletin_id)
    assert "道路施工" in version.full and "幸福路" not in version.full
    assert CANARY not in version.full
    assert version.held_back == 1 and len(version.omitted) == 1


def test_an_edit_after_sign_off_clears_the_decision(db: Database, night: Night) -> None:
    bulletin_id = _reviewed(db, night.open_serial)
    sign_bulletin(
        db, bulletin_id, signer="张振华", actor="杨帆", now=NOW, sms_ok=(night.open_serial,)
    )
    view = get_bulletin(db, bulletin_id, tz=SHANGHAI, now=NOW)
    assert [item.sms_allowed for item in view.items] == [True]
    edit_bulletin(db, bulletin_id, body="改写", actor="杨帆", now=NOW)
    view = get_bulletin(db, bulletin_id, tz=SHANGHAI, now=NOW)
    assert [item.sms_allowed for item in view.items] == [False]  # a new sign-off decides again


def test_cli_sign_sms_ok_and_the_sms_view_say_the_decision(
    db: Database, night: Night, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bulletin_id = _reviewed(db, night.open_serial, night.hostile_serial)
    code, _, err = run_cli(capsys, db_arg, "bulletin", "sms", str(bulletin_id))
    assert code != 0 and "可发短信/微信" in err and "Traceback" not in err
    code, _, err = run_cli(
        capsys, db_arg, "bulletin", "sign", str(bulletin_id), "--operator", "张振华",
        "--sms-ok", night.open_serial,
    )  # fmt: skip
    assert code == 0, err
    assert night.open_serial in err  # the sign-off says what it decided
    code, out, err = run_cli(capsys, db_arg, "bulletin", "sms", str(bulletin_id))
    assert code == 0, err
    assert "幸福路" in out and "SUM" not in out
    assert night.open_serial in err  # the decision shown beside the short version
    code, _, err = run_cli(
        capsys, db_arg, "bulletin", "sign", str(bulletin_id), "--operator", "张振华",
        "--sms-ok", night.secret_serial,
    )  # fmt: skip
    assert code != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1


# -- A 《信息直呈》 short version goes to the named leader, not a group robot --------------


def _direct(db: Database, serial: str, leader: str | None = "周文斌") -> int:
    with db.session() as session:  # the leader's number, as the roster holds it
        from sqlmodel import select

        from dutydesk.storage.models import Person

        person = session.exec(select(Person).where(Person.name == "周文斌")).one()
        person.phone = "13900000001"
    bulletin_id = draft_bulletin(
        db, kind=BulletinKind.DIRECT, serials=[serial], actor="杨帆", now=NOW, tz=SHANGHAI,
        leader=leader,
    )  # fmt: skip
    review_bulletin(db, bulletin_id, actor="杨帆", now=NOW)
    sign_bulletin(db, bulletin_id, signer="张振华", actor="杨帆", now=NOW, sms_ok=(serial,))
    issue_bulletin(request(db, actor_name="杨帆", now=NOW, tz=SHANGHAI), bulletin_id)
    return bulletin_id


def test_a_direct_submission_is_addressed_to_its_leader_never_the_robot(
    db: Database, night: Night, tmp_path: Path
) -> None:
    bulletin_id = _direct(db, night.open_serial)
    version = short_version(db, bulletin_id)
    assert (version.to_name, version.to_phone) == ("周文斌", "13900000001")
    report = deliver(
        db, bulletin_id, outbox=tmp_path / "out", webhook_url="http://127.0.0.1:9/robot",
        actor="杨帆", now=NOW,
    )  # fmt: skip
    assert report.sent == 0 and report.failed == 0  # no POST to the group robot
    assert report.note is not None and "周文斌" in report.note
    assert not db.read("SELECT id FROM bulletin_delivery")
    names = sorted(path.name for path in report.files)
    assert names == [
        "2026-direct-001.sms.txt",
        "2026-direct-001.to.txt",
        "2026-direct-001.wechat.txt",
    ]
    to = (tmp_path / "out" / "2026-direct-001.to.txt").read_text(encoding="utf-8")
    assert to == "周文斌\t13900000001\n"


def test_a_direct_submission_names_a_leader(db: Database, night: Night, tmp_path: Path) -> None:
    with pytest.raises(BulletinError, match="杨帆"):  # an information officer is no leader
        _direct(db, night.open_serial, leader="杨帆")
    with pytest.raises(BulletinError, match="信息直呈"):  # an express names nobody
        draft_bulletin(
            db, kind=BulletinKind.EXPRESS, serials=[night.open_serial], actor="杨帆", now=NOW,
            tz=SHANGHAI, leader="周文斌",
        )  # fmt: skip
    # One naming nobody is refused at sign-off: issued, it could no longer be edited to
    # name one, and could never be delivered.
    unnamed = draft_bulletin(
        db, kind=BulletinKind.DIRECT, serials=[night.open_serial], actor="杨帆", now=NOW,
        tz=SHANGHAI,
    )  # fmt: skip
    review_bulletin(db, unnamed, actor="杨帆", now=NOW)
    with pytest.raises(BulletinError, match="bulletin edit"):
        sign_bulletin(db, unnamed, signer="张振华", actor="杨帆", now=NOW)
    with pytest.raises(BulletinError, match="not issued"):
        deliver(db, unnamed, outbox=tmp_path / "out", webhook_url=None, actor="杨帆", now=NOW)
    # One issued before sign-off checked (a store from an earlier release) is refused at
    # delivery: it goes to no group robot and to no one.
    legacy = _direct(db, night.open_serial)
    with db.session() as session:
        session.exec(
            text("UPDATE bulletin SET leader_id = NULL WHERE id = :id").bindparams(id=legacy)
        )  # type: ignore[call-overload]
    with pytest.raises(BulletinError, match="信息直呈"):
        deliver(db, legacy, outbox=tmp_path / "out", webhook_url=None, actor="杨帆", now=NOW)
    assert not (tmp_path / "out").exists()


def test_cli_direct_to_leader_and_webhook_refused(
    db: Database, night: Night, db_arg: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    code, out, err = run_cli(
        capsys, db_arg, "bulletin", "draft", "--kind", "direct", "--to", "周文斌",
        night.open_serial, "--operator", "杨帆",
    )  # fmt: skip
    assert code == 0, err
    bulletin_id = out.strip()
    assert "周文斌" in err
    for step in (("review", bulletin_id), ("sign", bulletin_id, "--by", "张振华", "--sms-ok",
                 night.open_serial), ("issue", bulletin_id)):  # fmt: skip
        code, _, err = run_cli(capsys, db_arg, "bulletin", *step, "--operator", "杨帆")
        assert code == 0, err
    code, out, err = run_cli(
        capsys, db_arg, "bulletin", "deliver", bulletin_id, "--webhook", "http://127.0.0.1:9/x",
        "--outbox", str(tmp_path / "out"), "--operator", "杨帆",
    )  # fmt: skip
    assert code != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "周文斌" in err and not (tmp_path / "out").exists()
    code, out, err = run_cli(
        capsys, db_arg, "bulletin", "deliver", bulletin_id,
        "--outbox", str(tmp_path / "out"), "--operator", "杨帆",
    )  # fmt: skip
    assert code == 0, err
    assert "2026-direct-001.to.txt" in out


def test_cli_edit_to_names_the_leader_of_a_direct_draft(
    db: Database, night: Night, db_arg: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """A 《信息直呈》 drafted without --to is named afterwards: ``bulletin edit N --to``."""
    code, out, err = run_cli(
        capsys, db_arg, "bulletin", "draft", "--kind", "direct", night.open_serial,
        "--operator", "杨帆",
    )  # fmt: skip
    assert code == 0, err
    bulletin_id = out.strip()
    for name, reason in (("杨帆", "leader"), ("无此人", "无此人")):  # no leader; nobody
        code, _, err = run_cli(
            capsys, db_arg, "bulletin", "edit", bulletin_id, "--to", name, "--operator", "杨帆"
        )
        assert code != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert reason in err
    code, _, err = run_cli(
        capsys, db_arg, "bulletin", "edit", bulletin_id, "--to", "周文斌", "--operator", "杨帆"
    )
    assert code == 0, err
    assert "周文斌" in err
    assert get_bulletin(db, int(bulletin_id), tz=SHANGHAI, now=NOW).presented_to == "周文斌"
    code, out, err = run_cli(
        capsys, db_arg, "bulletin", "draft", night.open_serial, "--operator", "杨帆"
    )
    assert code == 0, err
    code, _, err = run_cli(
        capsys, db_arg, "bulletin", "edit", out.strip(), "--to", "周文斌", "--operator", "杨帆"
    )
    assert code != 0 and "信息直呈" in err and len(err.strip().splitlines()) == 1
