"""Short versions and their delivery: refusals for classified items, outbox, webhook, retry."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dutydesk.rules.sms import join_segments
from dutydesk.services.bulletins.delivery import deliver, retry_deliveries
from dutydesk.services.bulletins.read import BulletinError
from dutydesk.services.bulletins.short_version import short_version
from dutydesk.services.bulletins.write import (
    draft_bulletin,
    issue_bulletin,
    review_bulletin,
    sign_bulletin,
)
from dutydesk.storage.engine import Database
from dutydesk.vocab import BulletinKind, Classification
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.docs_support import CANARY, Night, run_cli, seed_night
from tests.request_support import request

NOW = DEMO_MOMENT


class Robot:
    """A WeCom-like group robot on 127.0.0.1: records bodies; answers ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.bodies: list[dict] = []  # type: ignore[type-arg]
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robot.bodies.append(json.loads(body))
                reply = b'{"errcode":0,"errmsg":"ok"}'
                if robot.status != 200:
                    reply = b"server error"
                self.send_response(robot.status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=t"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot() -> Iterator[Robot]:
    server = Robot()
    yield server
    server.close()


def _issued(db: Database, *serials: str, clearance: Classification = Classification.SECRET) -> int:
    """Issued, its signer letting every 内部 item go by SMS/WeChat (可发短信/微信)."""
    bulletin_id = draft_bulletin(
        db, kind=BulletinKind.EXPRESS, serials=serials, actor="杨帆", now=NOW, tz=SHANGHAI,
        clearance=clearance,
    )  # fmt: skip
    review_bulletin(db, bulletin_id, actor="杨帆", now=NOW)
    internal = db.read(
        "SELECT serial FROM incident WHERE classification = 'internal'"
    )  # the items of this night that need the decision
    sms_ok = [serial for serial in serials if serial in {row.serial for row in internal}]
    sign_bulletin(db, bulletin_id, signer="张振华", actor="杨帆", now=NOW, sms_ok=sms_ok)
    issue_bulletin(request(db, actor_name="杨帆", now=NOW, tz=SHANGHAI), bulletin_id)
    return bulletin_id


@pytest.fixture
def night(db: Database) -> Night:
    return seed_night(db)


def test_short_version_is_numbered_segments_of_the_bulletin(db: Database, night: Night) -> None:
    bulletin_id = _issued(db, night.open_serial)
    version = short_version(db, bulletin_id)
    assert version.header == "【信息快报2026年第1期】"
    assert join_segments(version.segments) == version.full
    assert version.text.startswith("据市应急管理局报告")  # the title is not said twice
    assert version.note is None
    edited = short_version(
        db, bulletin_id, edit="幸福路燃气爆炸3人受伤，已送医。", actor="杨帆", now=NOW
    )
    assert edited.segments == (
        "【信息快报2026年第1期】幸福路燃气爆炸3人受伤，已送医。（11月26日02:31）【临川市委值班室】",
    )
    assert short_version(db, bulletin_id).text == "幸福路燃气爆炸3人受伤，已送医。"


def test_classified_only_bulletin_is_refused(db: Database, night: Night) -> None:
    bulletin_id = _issued(db, night.secret_serial)
    with pytest.raises(BulletinError, match="classified information goes by cipher"):
        short_version(db, bulletin_id)
    with pytest.raises(BulletinError, match="only classified"):
        short_version(db, bulletin_id, edit="任何内容", actor="杨帆", now=NOW)


def test_mixed_bulletin_leaves_classified_items_out_and_says_so(
    db: Database, night: Night, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bulletin_id = _issued(db, night.open_serial, night.secret_serial)
    version = short_version(db, bulletin_id)
    assert CANARY not in version.full
    assert "省委办公厅密电" not in version.full
    assert version.omitted == ((night.secret_serial, Classification.SECRET),)
    assert version.note and night.secret_serial in version.note
    code, out, err = run_cli(capsys, db_arg, "bulletin", "sms", str(bulletin_id))
    assert code == 0 and CANARY not in out + err
    assert "classified item(s) left out" in err and night.secret_serial in err


def test_outbox_files_and_webhook_payload(
    db: Database, night: Night, tmp_path: Path, robot: Robot
) -> None:
    bulletin_id = _issued(db, night.open_serial, night.secret_serial)
    report = deliver(
        db, bulletin_id, outbox=tmp_path / "outbox", webhook_url=robot.url, actor="杨帆", now=NOW
    )
    assert (report.sent, report.failed) == (1, 0)
    sms, wechat = report.files
    assert sms.name == "2026-express-001.sms.txt"
    segments = sms.read_text(encoding="utf-8").splitlines()
    assert all(len(segment) <= 70 for segment in segments)
    assert robot.bodies[0]["msgtype"] == "text"
    assert robot.bodies[0]["text"]["content"] == wechat.read_text(encoding="utf-8").strip()
    for text in (sms.read_text(encoding="utf-8"), wechat.read_text(encoding="utf-8"),
                 json.dumps(robot.bodies, ensure_ascii=False)):  # fmt: skip
        assert CANARY not in text
    stored = db.read("SELECT payload, state FROM bulletin_delivery")
    assert stored[0][1] == "sent" and CANARY not in stored[0][0]


def test_failed_delivery_is_kept_and_retried(
    db: Database, night: Night, tmp_path: Path, robot: Robot
) -> None:
    bulletin_id = _issued(db, night.open_serial)
    robot.status = 500
    report = deliver(db, bulletin_id, outbox=tmp_path, webhook_url=robot.url, actor="杨帆", now=NOW)
    assert (report.sent, report.failed) == (0, 1)
    assert "HTTP 500" in report.errors[0] and "--retry" in report.errors[0]
    assert db.read("SELECT state, attempts FROM bulletin_delivery") == [("failed", 1)]
    robot.status = 200
    again = retry_deliveries(db, now=NOW)
    assert (again.sent, again.failed) == (1, 0)
    assert db.read("SELECT state, attempts, last_error FROM bulletin_delivery") == [("sent", 2, "")]
    assert len(robot.bodies) == 2 and robot.bodies[0] == robot.bodies[1]
    assert retry_deliveries(db, now=NOW).sent == 0  # nothing left


def test_unreachable_webhook_is_kept_too(db: Database, night: Night, tmp_path: Path) -> None:
    bulletin_id = _issued(db, night.open_serial)
    report = deliver(
        db, bulletin_id, outbox=tmp_path, webhook_url="http://127.0.0.1:9/", actor="杨帆",
        now=NOW, timeout=2,
    )  # fmt: skip
    assert report.failed == 1
    assert db.read("SELECT state FROM bulletin_delivery") == [("failed",)]


def test_only_issued_bulletins_are_delivered_and_only_over_http(
    db: Database, night: Night, tmp_path: Path
) -> None:
    draft = draft_bulletin(
        db, kind=BulletinKind.EXPRESS, serials=[night.open_serial], actor="杨帆", now=NOW,
        tz=SHANGHAI,
    )  # fmt: skip
    with pytest.raises(BulletinError, match="not issued"):
        deliver(db, draft, outbox=tmp_path, webhook_url=None, actor="杨帆", now=NOW)
    issued = _issued(db, night.open_serial)
    report = deliver(
        db, issued, outbox=tmp_path, webhook_url="file:///etc/passwd", actor="杨帆", now=NOW
    )
    assert report.failed == 1 and "only http" in report.errors[0]


def test_cli_deliver_then_retry(
    db: Database, night: Night, db_arg: str, tmp_path: Path, robot: Robot,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_OPERATOR", "杨帆")
    monkeypatch.setenv("DUTYDESK_OUTBOX_DIR", str(tmp_path / "box"))
    bulletin_id = _issued(db, night.open_serial)
    robot.status = 500
    code, out, err = run_cli(
        capsys, db_arg, "bulletin", "deliver", str(bulletin_id), "--webhook", robot.url
    )
    assert code == 1 and "failed" in err
    assert out.strip().splitlines()[0].endswith("2026-express-001.sms.txt")
    robot.status = 200
    code, out, err = run_cli(capsys, db_arg, "bulletin", "deliver", "--retry")
    assert code == 0 and "1 sent, 0 failed" in err
