"""Issue 13, accredited mode (``deployment = "classified-network"``).

A classified item's location and reporter (name, unit, phone), the 'to whom' of its
timeline entries and the leader and department it is assigned to are sealed like its
title and summary: never on disk in clear, withheld from a reader not cleared or not
named, shown to a cleared one; neither search nor the duplicate check reads them.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from dutydesk.cli.app import main
from dutydesk.rules.deadlines import load_rules
from dutydesk.services.incidents import listing, timeline
from dutydesk.services.incidents.followup import NewEntry, add_entry
from dutydesk.services.incidents.incident import create_incident
from dutydesk.services.incidents.intake import NewIncident, find_similar
from dutydesk.services.incidents.search import search
from dutydesk.storage.engine import Database, url_for
from dutydesk.storage.models import Incident, Person
from dutydesk.vocab import Classification, EntryKind
from tests.conftest import DEMO_MOMENT
from tests.request_support import request

RULES = load_rules()
T0 = DEMO_MOMENT - timedelta(hours=2)
SECRET = Classification.SECRET
PLACE = "雀巢镇QX8"
NAME = "报告人雀QX8"
UNIT = "雀报单位QX8"
PHONE = "13900008888"
LEADER = "领导雀QX8"
DEPARTMENT = "部门雀QX8"
CANARIES = (PLACE, NAME, UNIT, PHONE, LEADER, DEPARTMENT)
NOW = "2026-11-26T02:31+08:00"


def _people(db: Database) -> None:
    with db.session() as session:
        session.add(Person(name="张三", unit="值班室", clearance=SECRET))
        session.add(Person(name="李四", unit="信息科", clearance=SECRET))


@pytest.fixture
def secret(db: Database) -> Incident:
    """A 机密 item with canaries in its location, reporter and two entries' 'to whom'."""
    _people(db)
    with db.session() as session:
        incident = create_incident(
            request(session, now=T0, rules=RULES),
            NewIncident(
                received_at=T0,
                channel="phone",
                category="accident",
                severity="II",
                classification="secret",
                title="化工厂泄漏",
                summary="据报化工厂泄漏",
                location=PLACE,
                reporter_name=NAME,
                reporter_unit=UNIT,
                reporter_phone=PHONE,
                readers=("张三",),
            ),
            session=session,
        )
        for minutes, kind, target in (
            (5, EntryKind.LEADER_INSTRUCTION, LEADER),
            (6, EntryKind.ASSIGNMENT, DEPARTMENT),
        ):
            at = T0 + timedelta(minutes=minutes)
            add_entry(
                request(session, now=at, rules=RULES),
                incident,
                NewEntry(kind=kind, occurred_at=at, text="请核实", target=target),
                session=session,
            )
        session.expunge(incident)
        return incident


def _on_disk(path: Path) -> bytes:
    data = b""
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            data += name.read_bytes()
    return data


def test_location_reporter_and_targets_are_never_on_disk_in_clear(
    db: Database, db_path: Path, secret: Incident
) -> None:
    data = _on_disk(db_path)
    for canary in CANARIES:
        assert canary.encode() not in data, canary
    # The raw columns hold envelopes, not text.
    row = db.read(
        "SELECT location, reporter_name, reporter_unit, reporter_phone, assigned_leader, "
        "assigned_department FROM incident WHERE id = :id",
        {"id": secret.id},
    )[0]
    assert all(str(value).startswith("enc:v1:") for value in row), row
    targets = [str(r[0]) for r in db.read("SELECT target FROM timeline_entry WHERE target <> ''")]
    assert targets and all(target.startswith("enc:v1:") for target in targets)


def test_a_cleared_named_reader_sees_them_and_others_do_not(db: Database, secret: Incident) -> None:
    detail = timeline.fetch_detail(db, secret.id, SECRET, viewer="张三")  # type: ignore[arg-type]
    assert detail is not None and not detail.restricted
    assert detail.location == PLACE
    assert detail.reporter is not None
    assert all(part in detail.reporter for part in (NAME, UNIT, PHONE))
    assert {entry.target for entry in detail.entries} >= {LEADER, DEPARTMENT}
    record = listing.get_incident(request(db, clearance=SECRET, viewer="张三"), secret.serial)
    assert (record.location, record.reporter_name, record.reporter_unit) == (PLACE, NAME, UNIT)
    assert record.reporter_phone == PHONE
    assert (record.assigned_leader, record.assigned_department) == (LEADER, DEPARTMENT)
    assert {entry.target for entry in record.timeline} >= {LEADER, DEPARTMENT}
    listed = listing.list_incidents(request(db, clearance=SECRET, viewer="张三"))
    assert listed[0].location == PLACE
    # 李四 is cleared for 机密 but not named: withheld exactly as the title is.
    for viewer in ("李四", None):
        other = timeline.fetch_detail(db, secret.id, SECRET, viewer=viewer)  # type: ignore[arg-type]
        assert other is not None and other.restricted
        assert not any(canary in repr(other) for canary in CANARIES)
        shown = listing.get_incident(request(db, clearance=SECRET, viewer=viewer), secret.serial)
        assert shown.restricted and not any(canary in repr(shown) for canary in CANARIES)


def test_search_and_the_duplicate_check_do_not_read_them(db: Database, secret: Incident) -> None:
    for canary in (PLACE, NAME, UNIT, LEADER):
        found = search(request(db, clearance=SECRET, viewer="张三"), canary)
        assert all(hit.serial != secret.serial for hit in found.rows), canary
    # The duplicate check compares the sealed place only for a reader who may open it.
    for viewer, expected in (("李四", []), (None, []), ("张三", [secret.serial])):
        similar = find_similar(
            request(db, clearance=SECRET, viewer=viewer, now=T0),
            category="accident",
            location=PLACE,
            summary="另一起",
            received_at=T0 + timedelta(minutes=10),
        )
        assert [item.serial for item in similar] == expected, viewer


def _cli(
    db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "classified-network")

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        try:
            main(["--db", db_arg, "--now", NOW, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_cli_seals_them_and_shows_them_to_a_cleared_reader(
    sqlite_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(url_for(str(sqlite_file)))
    _people(db)
    db.close()
    run = _cli(str(sqlite_file), capsys, monkeypatch)
    code, out, err = run(
        "incident", "add", "--operator", "张三", "--classification", "secret",
        "--summary", "据报化工厂泄漏", "--location", PLACE, "--reporter-name", NAME,
        "--reporter-unit", UNIT, "--reporter-phone", PHONE, "--reader", "张三",
    )  # fmt: skip
    assert code == 0, err
    serial = out.split()[0]
    for canary in (PLACE, NAME, UNIT, PHONE):
        assert canary.encode() not in _on_disk(sqlite_file), canary
    code, out, err = run("incident", "show", serial, "--operator", "张三", "--clearance", "secret")
    assert code == 0, err
    assert all(canary in out for canary in (PLACE, NAME, UNIT, PHONE)), out
    code, out, err = run("incident", "show", serial, "--operator", "李四", "--clearance", "secret")
    assert code == 0, err
    assert not any(canary in out for canary in (PLACE, NAME, UNIT, PHONE)), out
    with Database(url_for(str(sqlite_file))).session() as session:
        stored = session.exec(select(Incident).where(Incident.serial == serial)).one()
        assert stored.location.startswith("enc:v1:")


# -- every network path off ----------------------------------------------------------------


def _issued_bulletin(db: Database) -> int:
    from tests.docs_support import seed_night
    from tests.test_delivery import _issued

    night = seed_night(db)
    return _issued(db, night.open_serial)


def test_the_delivery_service_refuses_a_webhook_on_a_classified_network(
    db: Database, tmp_path: Path
) -> None:
    from dutydesk.services.bulletins.delivery import deliver, retry_deliveries
    from dutydesk.services.bulletins.read import BulletinError

    bulletin_id = _issued_bulletin(db)
    with pytest.raises(BulletinError, match="Network delivery is off"):
        deliver(
            db, bulletin_id, outbox=tmp_path / "box", webhook_url="http://127.0.0.1:9/",
            actor="杨帆", now=DEMO_MOMENT, offline=True,
        )  # fmt: skip
    assert not (tmp_path / "box").exists()  # refused before anything is written
    assert db.read("SELECT count(*) FROM bulletin_delivery")[0][0] == 0
    with pytest.raises(BulletinError, match="Network delivery is off"):
        retry_deliveries(db, now=DEMO_MOMENT, offline=True)
    # The outbox file is the one way out.
    report = deliver(
        db, bulletin_id, outbox=tmp_path / "box", webhook_url=None, actor="杨帆",
        now=DEMO_MOMENT, offline=True,
    )  # fmt: skip
    assert [path.name for path in report.files] == [
        "2026-express-001.sms.txt", "2026-express-001.wechat.txt",
    ]  # fmt: skip


def test_cli_refuses_webhook_and_retry_in_one_line_and_sends_nothing(
    db: Database, db_arg: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from tests.docs_support import run_cli

    bulletin_id = _issued_bulletin(db)
    # A message queued earlier (say, before the desk moved to the classified network).
    with db.session() as session:
        from dutydesk.storage.models import BulletinDelivery

        session.add(
            BulletinDelivery(
                bulletin_id=bulletin_id, target="http://127.0.0.1:9/", payload="{}",
                created_at=DEMO_MOMENT,
            )
        )  # fmt: skip
    monkeypatch.setenv("DUTYDESK_OPERATOR", "杨帆")
    monkeypatch.setenv("DUTYDESK_OUTBOX_DIR", str(tmp_path / "box"))
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "classified-network")
    for args in (
        ("bulletin", "deliver", str(bulletin_id), "--webhook", "http://127.0.0.1:9/"),
        ("bulletin", "deliver", "--retry"),
    ):
        code, out, err = run_cli(capsys, db_arg, *args)
        assert code == 2, (args, out, err)
        assert len(err.strip().splitlines()) == 1 and "Network delivery is off" in err, err
        assert "Traceback" not in out + err
    assert db.read("SELECT state, attempts FROM bulletin_delivery") == [("pending", 0)]
    assert not (tmp_path / "box").exists()
    code, out, err = run_cli(capsys, db_arg, "bulletin", "deliver", str(bulletin_id))
    assert code == 0, err
    assert out.strip().splitlines()[0].endswith("2026-express-001.sms.txt")
    monkeypatch.setenv("DUTYDESK_LANG", "zh_CN")
    code, _, err = run_cli(capsys, db_arg, "bulletin", "deliver", "--retry")
    assert code == 2 and "涉密网模式下不得联网发送" in err and len(err.strip().splitlines()) == 1, (
        err
    )


# -- moving a database between the deployments ---------------------------------------------


def _secret_item(run: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch) -> str:
    """A 机密 item added on the classified network (content sealed), named for 张三."""
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "classified-network")
    code, out, err = run(
        "incident", "add", "--operator", "张三", "--classification", "secret",
        "--summary", "据报化工厂泄漏", "--location", PLACE, "--reporter-name", NAME,
        "--reader", "张三",
    )  # fmt: skip
    assert code == 0, err
    return out.split()[0]


def _one_line(code: int, out: str, err: str) -> str:
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in out + err, err
    return err


def test_migrate_to_the_classified_network_seals_what_was_in_clear(
    db: Database,
    db_arg: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _people(db)
    run = _cli(db_arg, capsys, monkeypatch)  # on the pass's store
    serial = _secret_item(run, monkeypatch)
    # As an earlier version stored them: location and reporter of a 机密 item in clear.
    with db.session() as session:
        stored = session.exec(select(Incident).where(Incident.serial == serial)).one()
        stored.location, stored.reporter_name = PLACE, NAME
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "register")
    code, out, err = run("deployment", "migrate", "--to", "classified-network", "--dry-run")
    assert code == 0, err
    assert serial in out and "location 1, reporter_name 1" in err and "nothing is lost" in err
    assert not any(canary in out + err for canary in CANARIES)
    clear = "SELECT location, reporter_name FROM incident WHERE serial = :s"
    assert db.read(clear, {"s": serial}) == [(PLACE, NAME)]  # a dry run changes nothing
    err = _one_line(*run("deployment", "migrate", "--to", "classified-network", "--yes"))
    assert 'deployment = "register"' in err and "classified-network" in err
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "classified-network")
    err = _one_line(*run("deployment", "migrate", "--to", "classified-network"))
    assert "--yes" in err
    code, out, err = run(
        "deployment", "migrate", "--to", "classified-network", "--yes", "--operator", "张三"
    )
    assert code == 0 and "sealed (audited)" in err, err
    row = db.read(clear, {"s": serial})[0]
    assert all(str(value).startswith("enc:v1:") for value in row), row
    assert db.read("SELECT count(*) FROM audit_event WHERE action = 'deployment_migrated'") == [
        (1,)
    ]
    code, out, err = run("incident", "show", serial, "--operator", "张三", "--clearance", "secret")
    assert code == 0 and PLACE in out and NAME in out, err
    code, _, err = run(
        "deployment", "migrate", "--to", "classified-network", "--yes", "--operator", "张三"
    )
    assert code == 0 and "Nothing to change" in err
    code, out, err = run("verify")
    assert code == 0, out + err
    db.close()


def test_migrate_to_register_purges_classified_content_and_verify_holds(
    db: Database,
    db_arg: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _people(db)
    run = _cli(db_arg, capsys, monkeypatch)  # on the pass's store
    serial = _secret_item(run, monkeypatch)
    code, out, err = run("deployment", "migrate", "--to", "register", "--dry-run")
    assert code == 0, err
    assert "would be purged for good" in err and f"{serial}  fields 4  entry texts 1" in out
    assert not any(canary in out + err for canary in CANARIES) and "化工厂" not in out + err
    err = _one_line(*run("deployment", "migrate", "--to", "register", "--yes"))
    assert 'deployment = "classified-network"' in err
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "register")
    code, out, err = run("deployment", "migrate", "--to", "register", "--yes", "--operator", "张三")
    assert code == 0 and "purged (audited)" in err, err
    left = db.read(
        "SELECT title, summary, location, reporter_name FROM incident WHERE serial = :s",
        {"s": serial},
    )
    assert left == [("", "", "", "")]
    texts = db.read("SELECT text FROM timeline_entry")
    assert all(text == "" or str(text).startswith("purged:v1:") for (text,) in texts)
    actions = {row[0] for row in db.read("SELECT action FROM audit_event")}
    assert {"content_purged", "deployment_migrated"} <= actions
    code, out, err = run("verify")
    assert code == 0, out + err
    db.close()


def test_migrate_refuses_bad_input_in_one_line_in_both_languages(
    db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _cli(db_arg, capsys, monkeypatch)
    err = _one_line(*run("deployment", "migrate", "--to", "cloud", "--dry-run"))
    assert "register, classified-network" in err
    monkeypatch.setenv("DUTYDESK_LANG", "zh_CN")
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "register")
    err = _one_line(*run("deployment", "migrate", "--to", "classified-network", "--yes"))
    assert "请先设置" in err
    code, _, err = run("deployment", "migrate", "--to", "register", "--dry-run")
    assert code == 0 and "无需变更" in err, err
