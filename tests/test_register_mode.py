"""Issue 13: the deployment switch and register mode (a classified item is its register)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dutydesk.cli.app import main
from dutydesk.config import load_settings
from dutydesk.errors import ConfigError
from dutydesk.services.incidents.edits import update_fields
from dutydesk.services.incidents.followup import NewEntry, add_entry
from dutydesk.services.incidents.incident import create_incident
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.services.incidents.register import (
    ContentRefused,
    RegisterFields,
    purge,
    register_line,
)
from dutydesk.services.integrity.verify import verify
from dutydesk.storage.engine import Database
from dutydesk.storage.models import ClassifiedRegister, Incident, TimelineEntry
from dutydesk.vocab import Classification, Deployment, EntryKind
from tests.conftest import DEMO_MOMENT
from tests.request_support import request

NOW = "2026-11-26T02:31+08:00"
REGISTER = Deployment.REGISTER
REFUSED = "Classified content must not be typed on a non-classified computer"


def _cli(
    db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        capsys.readouterr()
        try:
            main(["--db", db_arg, "--now", NOW, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _count(db: Database, sql: str) -> int:
    return int(db.read(sql)[0][0])


def test_deployment_setting_defaults_to_register_and_refuses_a_bad_value() -> None:
    assert load_settings(environ={}).deployment == "register"
    accredited = load_settings(environ={"DUTYDESK_DEPLOYMENT": "classified-network"})
    assert accredited.deployment == "classified-network"
    with pytest.raises(ConfigError, match="deployment: expected one of register"):
        load_settings(environ={"DUTYDESK_DEPLOYMENT": "cloud"})


def test_version_shows_the_deployment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["--version"])
    assert "deployment: register mode" in capsys.readouterr().out
    monkeypatch.setenv("DUTYDESK_DEPLOYMENT", "classified-network")
    main(["--lang", "zh_CN", "--version"])
    assert "部署方式：涉密网模式" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ("--summary", "某县化工厂爆炸"),
        ("--title", "爆炸"),
        ("--location", "城东"),
        ("--reporter-name", "王五"),
    ],
)
def test_cli_refuses_content_for_a_classified_item(
    db: Database,
    db_arg: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, str],
) -> None:
    run = _cli(db_arg, capsys, monkeypatch)
    code, _, err = run("incident", "add", "--classification", "secret", "--organ", "省委", *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert REFUSED in err
    assert _count(db, "SELECT count(*) FROM incident") == 0


def test_json_refuses_content_for_a_classified_item(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _cli(db_arg, capsys, monkeypatch)
    item = {"classification": "机密", "summary": "某县化工厂爆炸", "organ": "省委办公厅"}
    code, _, err = run("incident", "add", "--json", "-", stdin=json.dumps(item))
    assert code == 2 and REFUSED in err and len(err.strip().splitlines()) == 1
    assert _count(db, "SELECT count(*) FROM incident") == 0


def test_register_fields_are_stored_without_content(
    db: Database,
    db_arg: str,
    db_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = _cli(db_arg, capsys, monkeypatch)
    code, _, err = run(
        "incident", "add", "--classification", "secret", "--channel", "cipher",
        "--organ", "省委办公厅", "--doc-no", "赣办电〔2026〕88号", "--period", "10年",
        "--copies", "5", "--copy-no", "3", "--signer", "李四",
    )  # fmt: skip
    assert code == 0, err
    row = db.read(
        "SELECT i.title, i.summary, r.organ, r.doc_no, r.period, r.copies, r.copy_no, "
        "r.signer, (SELECT text FROM timeline_entry t WHERE t.incident_id = i.id) "
        "FROM incident i JOIN classified_register r ON r.incident_id = i.id"
    )[0]
    assert tuple(row) == ("", "", "省委办公厅", "赣办电〔2026〕88号", "10年", 5, 3, "李四", "")
    # <db_path>.key on both stores: beside the file, or DUTYDESK_KEY_FILE for a server
    assert not Path(f"{db_path}.key").exists()  # nothing to seal: no key file


def test_register_line_is_built_from_the_fields() -> None:
    line = register_line(Classification.SECRET, "省委办公厅", "赣办电〔2026〕88号", "10年", 3)
    assert line == "机密 secret★10年 省委办公厅 赣办电〔2026〕88号 copy 3"


def _register_item(db: Database) -> Incident:
    report = NewIncident(
        received_at=DEMO_MOMENT,
        channel="cipher",
        category="other",
        severity="unassessed",
        classification="secret",
        title="",
        summary="",
        register=RegisterFields(organ="省委办公厅", doc_no="赣办电〔2026〕88号", copies=2),
    )
    with db.session() as session:
        return create_incident(
            request(session, now=DEMO_MOMENT, deployment=REGISTER), report, session=session
        )


def test_service_refuses_entry_text_and_edits_but_takes_copy_moves(db: Database) -> None:
    incident = _register_item(db)
    with db.session() as session:
        found = session.get(Incident, incident.id)
        assert found is not None
        req = request(session, now=DEMO_MOMENT, deployment=REGISTER, clearance="secret")
        with pytest.raises(ContentRefused):
            add_entry(req, found, NewEntry(EntryKind.NOTE, DEMO_MOMENT, text="领导批示：…"), session=session)  # fmt: skip
        with pytest.raises(ContentRefused):
            update_fields(req, session=session, incident_id=found.id or 0,
                          expected_version=None, changes={"location": "城东"})  # fmt: skip
        add_entry(req, found, NewEntry(EntryKind.SUBMITTED, DEMO_MOMENT, target="张书记"), session=session)  # fmt: skip
        assert session.get(ClassifiedRegister, found.id) is not None


def test_accredited_request_still_stores_sealed_content(db: Database) -> None:
    report = NewIncident(
        received_at=DEMO_MOMENT, channel="phone", category="other", severity="unassessed",
        classification="secret", title="爆炸", summary="某县化工厂爆炸",
    )  # fmt: skip
    with db.session() as session:
        req = request(session, now=DEMO_MOMENT, deployment=Deployment.CLASSIFIED_NETWORK)
        incident = create_incident(req, report, session=session)
        assert incident.summary.startswith("enc:v1:")


def test_raise_then_purge_leaves_nothing_and_verify_holds(db: Database) -> None:
    report = NewIncident(
        received_at=DEMO_MOMENT, channel="phone", category="other", severity="unassessed",
        classification="internal", title="爆炸", summary="某县化工厂爆炸CANARY",
        location="城东CANARY", reporter_name="王五CANARY",
    )  # fmt: skip
    with db.session() as session:
        req = request(session, now=DEMO_MOMENT, actor_name="李四", deployment=REGISTER)
        incident = create_incident(req, report, session=session)
        add_entry(req, incident, NewEntry(EntryKind.NOTE, DEMO_MOMENT, text="续CANARY"), session=session)  # fmt: skip
        serial, incident_id = incident.serial, incident.id or 0
    with db.session() as session:
        req = request(
            session, now=DEMO_MOMENT, actor_name="李四", deployment=REGISTER, clearance="secret"
        )
        raised = update_fields(req, session=session, incident_id=incident_id,
                               expected_version=None, changes={"classification": "secret"})  # fmt: skip
        assert (
            "CANARY" not in raised.title + raised.summary + raised.location + raised.reporter_name
        )
    with db.session() as session:
        fields, entries = purge(request(session, now=DEMO_MOMENT, actor_name="李四", deployment=REGISTER), serial, session=session)  # fmt: skip
    assert fields == 2 and entries >= 2
    texts = [str(row[0]) for row in db.read("SELECT text FROM timeline_entry")]
    assert not any("CANARY" in text for text in texts)
    row = db.read("SELECT title, summary, location, reporter_name FROM incident")[0]
    assert tuple(row) == ("", "", "", "")
    assert verify(db).ok, verify(db).problems
    assert db.read("SELECT count(*) FROM audit_event WHERE action = 'content_purged'")[0][0] == 1
    # A purged text changed on its own is still caught.
    with db.session() as session:
        first = session.get(TimelineEntry, 1)
        assert first is not None
        first.text = "purged:v1:" + "0" * 64
        session.add(first)
    assert not verify(db).ok


def test_accredited_mode_refuses_a_webhook_at_start(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"DUTYDESK_DEPLOYMENT": "classified-network", "DUTYDESK_WEBHOOK_URL": "https://x/y"}
    with pytest.raises(ConfigError, match="Network delivery is off"):
        load_settings(environ=env)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run = _cli(db_arg, capsys, monkeypatch)
    code, _, err = run("incident", "list")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Network delivery is off" in err
    assert load_settings(environ={"DUTYDESK_WEBHOOK_URL": "https://x/y"}).webhook_url


def _add_register_item(run: Callable[..., tuple[int, str, str]]) -> str:
    code, out, err = run(
        "incident", "add", "--classification", "secret", "--channel", "cipher",
        "--organ", "省委办公厅", "--doc-no", "赣办电〔2026〕88号", "--period", "10年",
        "--copies", "5", "--copy-no", "3", "--signer", "李四",
    )  # fmt: skip
    assert code == 0, err
    return out.split()[0]


LINE = "机密 secret★10年 省委办公厅 赣办电〔2026〕88号 copy 3"


def test_cli_list_and_show_give_the_register_line_in_the_title_place(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _cli(db_arg, capsys, monkeypatch)
    serial = _add_register_item(run)
    code, out, err = run("incident", "list", "--format", "table")
    assert code == 0, err
    row = next(line for line in out.splitlines() if serial in line)
    assert "省委办公厅" in row and "赣办电〔2026〕88号" in row, row
    code, out, err = run("incident", "show", serial)
    assert code == 0, err
    assert LINE in out
    code, out, err = run("incident", "show", serial, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["register"] == LINE


def test_cli_copy_moves_out_signs_back_returns_and_destroys(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _cli(db_arg, capsys, monkeypatch)
    serial = _add_register_item(run)
    code, out, err = run("incident", "copy", serial, "--copy-no", "3", "--to", "张书记")
    assert code == 0, err
    assert out.split() == [serial, "2"] and "张书记" in err
    code, out, err = run(
        "incident", "copy", serial, "--copy-no", "4", "--to", "王秘书", "--circulate"
    )
    assert code == 0, err
    assert out.split() == [serial, "3"]
    code, out, err = run("incident", "copy", serial, "--back", "2", "--by", "张书记")
    assert code == 0, err
    code, out, err = run("incident", "copy", serial, "--returned", "4")
    assert code == 0, err
    code, out, err = run("incident", "copy", serial, "--destroyed", "3", "--by", "赵六")
    assert code == 0, err
    kinds = [str(row[0]) for row in db.read("SELECT kind FROM timeline_entry ORDER BY seq")]
    assert kinds[1:] == ["submitted", "circulated", "returned", "destroyed"]
    code, out, err = run("incident", "show", serial)
    assert code == 0, err
    movements = out[out.index("张书记") - 200 :]
    for word in ("submitted", "circulated", "returned", "destroyed", "王秘书", "赵六", "李四"):
        assert word in movements, (word, out)
    assert "signed back" in out.lower()
    record = json.loads(run("incident", "show", serial, "--format", "json")[1])
    assert [(c["kind"], c["copy_no"], c["holder"]) for c in record["copies"]] == [
        ("submitted", 3, "张书记"),
        ("circulated", 4, "王秘书"),
        ("returned", 4, "李四"),
        ("destroyed", 3, "赵六"),
    ]
    assert record["copies"][0]["signed_back_by"] == "张书记"
    assert _count(db, "SELECT count(*) FROM audit_event WHERE action = 'copy_signed_back'") == 1  # fmt: skip


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--copy-no", "9", "--to", "张书记"), "copy 9 is not among the 5 copies"),
        (("--copy-no", "3"), "--to"),
        (("--to", "张书记", "--back", "2"), "one of"),
        (("--back", "7"), "7"),
    ],
)
def test_cli_copy_refuses_bad_input_in_one_line(
    db: Database,
    db_arg: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    says: str,
) -> None:
    run = _cli(db_arg, capsys, monkeypatch)
    serial = _add_register_item(run)
    code, _, err = run("incident", "copy", serial, *args)
    assert code in (1, 2), err  # 2: bad input; 1: no such movement
    assert len(err.strip().splitlines()) == 1 and says in err, err
    assert "Traceback" not in err
