"""Field size limits (issue 17, item 13): a clear one-line refusal, nothing written.

A 50 MB report was stored as given and slowed every output. Each writer is held to the
configured limits in the service layer: intake (options and ``--json``), follow-up
text, edits and bulletins; the 1 MB paste an office really makes stays accepted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dutydesk.rules.limits import LINE_CHARS, TEXT_CHARS, FieldLimits
from dutydesk.services.incidents.intake import NewIncident, register
from dutydesk.services.limits import FieldTooLong
from dutydesk.services.request import Request
from dutydesk.storage.engine import Database
from tests.docs_support import run_cli

NOW = "2026-11-26T02:31+08:00"
MEGABYTE_PASTE = "燃气泄漏现场情况。" * (1_048_576 // 27)  # 1 MB of UTF-8 Chinese text
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], db_arg: str) -> Cli:
    """``dutydesk --db <the test's store> ARGS`` in-process: (exit code, stdout, stderr)."""
    return lambda *args: run_cli(capsys, db_arg, *args, now=NOW)


def _add(cli: Cli, *args: str) -> tuple[int, str, str]:
    return cli("incident", "add", "--operator", "值班员", *args)


def _refused(result: tuple[int, str, str], field: str, length: int, limit: int) -> None:
    code, out, err = result
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"{field} is {length:,} characters long; the limit is {limit:,}" in lines[0]
    assert "nothing was written" in lines[0]
    assert out == ""


def _count(db: Database) -> tuple[int, int]:
    incidents = db.read("SELECT count(*) FROM incident")[0][0]
    entries = db.read("SELECT count(*) FROM timeline_entry")[0][0]
    return int(incidents), int(entries)


def test_a_one_megabyte_paste_is_accepted(cli: Cli, db: Database) -> None:
    assert len(MEGABYTE_PASTE.encode()) > 1_000_000
    code, _, err = _add(cli, "--summary", MEGABYTE_PASTE, "--title", "燃" * LINE_CHARS)
    assert code == 0, err
    stored = db.read("SELECT summary, title FROM incident")
    assert stored[0][0] == MEGABYTE_PASTE and stored[0][1] == "燃" * LINE_CHARS


def test_an_over_long_title_is_refused_in_one_line(cli: Cli, db: Database) -> None:
    title = "燃" * (LINE_CHARS + 1)
    _refused(_add(cli, "--summary", "幸福路", "--title", title), "title", LINE_CHARS + 1, 200)
    assert _count(db) == (0, 0)


def test_an_over_long_report_is_refused(cli: Cli, db: Database) -> None:
    summary = "x" * (TEXT_CHARS + 1)
    _refused(_add(cli, "--summary", summary), "summary", TEXT_CHARS + 1, TEXT_CHARS)
    assert _count(db) == (0, 0)


def test_json_import_is_held_to_the_limit(cli: Cli, db: Database, tmp_path: Path) -> None:
    items = [
        {"summary": "幸福路燃气泄漏"},
        {"summary": "光明路积水", "location": "光" * 300},
    ]
    source = tmp_path / "items.json"
    source.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    _refused(_add(cli, "--json", str(source)), "location", 300, LINE_CHARS)
    assert _count(db) == (0, 0)  # the batch is one transaction: the good item neither


def test_follow_ups_and_edits_are_held_to_the_limit(cli: Cli, db: Database) -> None:
    code, out, err = _add(cli, "--summary", "幸福路燃气泄漏")
    assert code == 0, err
    serial = out.split()[0]
    before = _count(db)
    text = "续" * (TEXT_CHARS + 5)
    _refused(
        cli("incident", "log", serial, "note", "--text", text, "--operator", "值班员"),
        "text",
        TEXT_CHARS + 5,
        TEXT_CHARS,
    )
    _refused(
        cli("incident", "log", serial, "assign", "--to", "部" * 201, "--operator", "值班员"),
        "target",
        201,
        LINE_CHARS,
    )
    _refused(
        cli("incident", "edit", serial, "--title", "改" * 250, "--operator", "值班员"),
        "title",
        250,
        LINE_CHARS,
    )
    assert _count(db) == before
    assert db.read("SELECT version FROM incident")[0][0] == 1


def test_a_bulletin_body_is_held_to_the_limit(cli: Cli, db: Database) -> None:
    code, _, err = _add(cli, "--summary", "幸福路燃气泄漏")
    assert code == 0, err
    code, _, err = cli("bulletin", "draft", "20261126-001", "--operator", "值班员")
    assert code == 0, err
    body = "报" * (TEXT_CHARS + 1)
    code, out, err = cli("bulletin", "edit", "1", "--body", body, "--operator", "值班员")
    _refused((code, out, err), "body", TEXT_CHARS + 1, TEXT_CHARS)
    assert len(db.read("SELECT body FROM bulletin")[0][0]) < TEXT_CHARS


def test_the_limits_are_configurable(
    cli: Cli, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUTYDESK_MAX_LINE_CHARS", "12")
    monkeypatch.setenv("DUTYDESK_MAX_TEXT_CHARS", "40")
    _refused(_add(cli, "--summary", "幸福路", "--title", "燃" * 13), "title", 13, 12)
    _refused(_add(cli, "--summary", "幸" * 41, "--title", "短"), "summary", 41, 40)
    code, _, err = _add(cli, "--summary", "幸" * 40, "--title", "燃" * 12)
    assert code == 0, err


def test_every_writer_of_the_service_layer_is_held(db: Database) -> None:
    """A script calling the service, not the CLI: the request's limits still apply."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    at = datetime(2026, 11, 26, 2, 0, tzinfo=tz)
    req = Request(db=db, now=at, tz=tz, actor_name="脚本", limits=FieldLimits(line=20, text=8))
    report = NewIncident(
        received_at=at, channel="phone", category="accident", severity="IV",
        classification="internal", title="标题", summary="九" * 9,
    )  # fmt: skip
    with pytest.raises(FieldTooLong, match="summary is 9 characters long; the limit is 8"):
        register(req, report)
    assert _count(db) == (0, 0)


def test_trend_phrases_read_a_bounded_opening_of_a_long_report(db: Database) -> None:
    """A report at the limit costs the handover pack and weekly report's phrase search
    no more than a long one: only its opening is read (a 2,000,000-character report took
    that search from under a second to 13 s)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from dutydesk.services.trends import TREND_TEXT_CHARS, read_facts

    tz = ZoneInfo("Asia/Shanghai")
    at = datetime(2026, 11, 26, 2, 0, tzinfo=tz)
    opening = "幸福路燃气泄漏，"
    summary = opening + "现场情况续报。" * 20_000
    register(
        Request(db=db, now=at, tz=tz, actor_name="值班员"),
        NewIncident(
            received_at=at, channel="phone", category="accident", severity="IV",
            classification="internal", title="燃气泄漏", summary=summary,
        ),
    )  # fmt: skip
    (fact,) = read_facts(db, at - timedelta(hours=1), at + timedelta(hours=1))
    assert fact.phrases  # still read for phrases
    assert 0 < len(fact.text) <= TREND_TEXT_CHARS
