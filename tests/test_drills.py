"""Drills (操作演练): scenarios, a run driven step by step, its report, and isolation."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import typer
from docx import Document

from dutydesk.clock import FrozenClock
from dutydesk.rules.deadlines import load_rules
from dutydesk.rules.drills import ScenarioError, format_duration, parse_duration
from dutydesk.rules.scenario_file import parse_scenario
from dutydesk.services import drills
from dutydesk.services.bulletins.read import BulletinError
from dutydesk.services.bulletins.write import draft_bulletin
from dutydesk.services.incidents.followup import NewEntry, add_entry
from dutydesk.services.incidents.intake import NewIncident
from dutydesk.storage.engine import Database
from dutydesk.vocab import BulletinKind
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.docs_support import add_incident, run_cli, zip_text
from tests.hostile import SHORT, unsafe_in
from tests.request_support import request

DRILL_CANARY = "DRILL-CANARY-演练-5c1d"
"""Typed into the drill incident only: must never reach a real output."""

SCENARIO = """
title = "测试演练"

[[inject]]
id = "call"
at = "0m"
kind = "report"
channel = "phone"
reporter_name = "陈建国"
severity = "IV"
category = "accident"
summary = "园区储罐起火"

[[inject]]
at = "10m"
kind = "severity"
report = "call"
severity = "II"

[[inject]]
at = "20m"
kind = "instruction"
report = "call"
leader = "周文斌"
text = "全力扑救。"

[[target]]
step = "intake"
within = "3m"

[[target]]
step = "phone_report"
within = "10m"

[[target]]
step = "first_report"
within = "30m"

[[target]]
step = "assignment"
within = "20m"
"""

SPEED = 10.0


# -- scenarios -------------------------------------------------------------------------


def test_shipped_scenarios_are_valid() -> None:
    found = {item.name: item for item in drills.list_scenarios()}
    assert {"chemical_fire", "urban_flood"} <= set(found)
    for item in found.values():
        assert item.error is None, item.error
        assert item.scenario is not None and item.scenario.reports


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title = 1", "title: expected text"),
        ("title = true", "title: expected text"),
        (
            '[[inject]]\nat = "0m"\nkind = "report"\nchannel = "pigeon"\nsummary = "x"',
            "inject[1].channel: expected one of phone,",
        ),
        (
            '[[inject]]\nat = "five minutes"\nkind = "report"\nsummary = "x"',
            "inject[1].at: not a duration",
        ),
        ('[[inject]]\nkind = "report"\nsummary = "x"', "inject[1].at: missing"),
        (
            '[[inject]]\nat = "0m"\nkind = "rumour"',
            "inject[1].kind: expected one of report, severity, instruction",
        ),
        ('[[inject]]\nat = "0m"\nkind = "report"', "inject[1].summary: missing"),
        (
            '[[inject]]\nat = "0m"\nkind = "report"\nsummary = "x"\ncolour = "red"',
            "inject[1].colour: unknown field",
        ),
        (
            '[[inject]]\nid = "a"\nat = "0m"\nkind = "report"\nsummary = "s"\n[[inject]]\nat = "0m"\nkind = "severity"\nreport = "x"\nseverity = "II"',
            "inject[2].report: no report inject named 'x'",
        ),
        (
            '[[inject]]\nid = "a"\nat = "0m"\nkind = "report"\nsummary = "x"\n[[target]]\nstep = "lunch"\nwithin = "1m"',
            "target[1].step: expected one of intake,",
        ),
        (
            '[[inject]]\nid = "a"\nat = "0m"\nkind = "report"\nsummary = "x"\n[[target]]\nstep = "intake"\nwithin = "soon"',
            "target[1].within: not a duration",
        ),
        (
            '[[inject]]\nat = "0m"\nkind = "report"\nsummary = "   "',
            "inject[1].summary: must not be blank",
        ),
        (
            '[[inject]]\nid = "a"\nat = "0m"\nkind = "report"\nsummary = "x"\n'
            '[[inject]]\nat = "5m"\nkind = "instruction"\nreport = "a"\nleader = "周"',
            "inject[2].text: missing",
        ),
        (
            '[[inject]]\nid = "a"\nat = "0m"\nkind = "report"\nsummary = "x"\n'
            '[[inject]]\nat = "5m"\nkind = "severity"\nreport = "a"\nseverity = 2',
            "inject[2].severity: expected one of I, II",
        ),
        (
            '[[inject]]\nid = "a"\nat = "10m"\nkind = "report"\nsummary = "x"\n'
            '[[inject]]\nat = "5m"\nkind = "severity"\nreport = "a"\nseverity = "II"',
            "inject[2].at: before the report 'a' arrives",
        ),
        (
            '[[inject]]\nat = "0m"\nkind = "report"\nsummary = "x"\n[[target]]\nstep = "intake"',
            "target[1].within: missing",
        ),
        ("title = ", "not valid TOML"),
        ('title = "x"', "at least one [[inject]]"),
    ],
)
def test_bad_scenarios_are_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=None) as caught:
        parse_scenario(text, name="bad", source="drills/bad.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("drills/bad.toml")
    assert "\n" not in str(caught.value)


def _toml_string(text: str) -> str:
    return (
        '"'
        + "".join(
            char if char.isprintable() and char not in '"\\' else f"\\U{ord(char):08x}"
            for char in text
        )
        + '"'
    )


@pytest.mark.parametrize("name", sorted(SHORT))
def test_a_bad_scenario_shows_the_files_keys_and_values_as_data(name: str) -> None:
    hostile = _toml_string(SHORT[name])
    for text in (
        f'[[inject]]\nat = "0m"\nkind = "report"\nsummary = "x"\n{hostile} = 1',
        f'[[inject]]\nat = "0m"\nkind = {hostile}',
        f'[[inject]]\nat = {hostile}\nkind = "report"\nsummary = "x"',
    ):
        with pytest.raises(ScenarioError) as caught:
            parse_scenario(text, name="bad", source="drills/bad.toml")
        assert unsafe_in(str(caught.value)) == [], str(caught.value)
        assert "\n" not in str(caught.value)


def test_durations() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("0") == timedelta(0)
    for bad in ("", "5", "5 minutes", "m"):
        with pytest.raises(ValueError, match="not a duration"):
            parse_duration(bad)
    assert format_duration(timedelta(minutes=65)) == "1h05m"
    assert format_duration(timedelta(seconds=-90)) == "-1m30s"


def test_a_scenario_without_targets_is_complete_when_every_step_is_done() -> None:
    from datetime import datetime

    from dutydesk.rules.drills import ReportProgress, complete, measure

    scenario = parse_scenario(
        '[[inject]]\nid = "a"\nat = "0m"\nkind = "report"\nsummary = "x"', name="t"
    )
    start = datetime(2026, 11, 26, tzinfo=UTC)
    steps = ("intake", "phone_report", "first_report", "assignment")
    half = {step: start + timedelta(minutes=n) for n, step in enumerate(steps[:2], 1)}
    every = {step: start + timedelta(minutes=n) for n, step in enumerate(steps, 1)}
    assert not complete(measure(scenario, [ReportProgress("a", start, None, {})], 1))
    assert not complete(measure(scenario, [ReportProgress("a", start, None, half)], 1))
    done = measure(scenario, [ReportProgress("a", start, None, every)], 2.5)
    assert complete(done)
    assert {s.step: s.elapsed for s in done}["assignment"] == timedelta(minutes=10)  # x2.5


# -- a run ------------------------------------------------------------------------------


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "test_fire.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def _take(db: Database, inject_id: int, clock: FrozenClock) -> int:
    incident = drills.take_report(
        request(db, actor_name="李晓明", now=clock.now(), tz=SHANGHAI, rules=load_rules()),
        inject_id,
        NewIncident(
            received_at=clock.now(),
            channel="phone",
            category="accident",
            severity="IV",
            classification="internal",
            title=f"储罐起火 {DRILL_CANARY}",
            summary=f"园区储罐起火 {DRILL_CANARY}",
            occurred_at=clock.now() - timedelta(minutes=3),
        ),
    )
    assert incident.id is not None
    return incident.id


def _log(db: Database, incident_id: int, kind: str, clock: FrozenClock, target: str = "") -> None:
    from dutydesk.storage.models import Incident

    with db.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        add_entry(
            request(session, actor_name="李晓明", now=clock.now(), rules=load_rules()),
            incident,
            NewEntry(kind=kind, occurred_at=clock.now(), text="已办。", target=target),
            session=session,
        )


def run_drill(db: Database, scenario_file: Path) -> tuple[int, int, FrozenClock]:
    """A run at speed 10 driven step by step; returns (run id, incident id, clock)."""
    clock = FrozenClock(DEMO_MOMENT.astimezone(UTC))
    rules = load_rules()
    run_id = drills.start_run(db, scenario_file, speed=SPEED, actor="李晓明", now=clock.now())
    fired = drills.fire_due(request(db, now=clock.now(), rules=rules))
    assert [f.kind for f in fired] == ["report"]
    clock.advance(timedelta(seconds=12))  # 2 scenario minutes to intake
    incident_id = _take(db, fired[0].inject_id, clock)
    clock.advance(timedelta(seconds=48))  # 60 s = 10 scenario min: the severity is due
    assert [f.kind for f in drills.fire_due(request(db, now=clock.now(), rules=rules))] == [
        "severity"
    ]
    clock.advance(timedelta(seconds=30))  # phone report at 15 scenario minutes: 5 late
    _log(db, incident_id, "phone_report", clock, target="张振华")
    clock.advance(timedelta(seconds=30))  # 20 min: the instruction
    assert [f.kind for f in drills.fire_due(request(db, now=clock.now(), rules=rules))] == [
        "instruction"
    ]
    clock.advance(timedelta(seconds=60))  # first report at 30 min: on time
    _log(db, incident_id, "first_report", clock)
    return run_id, incident_id, clock


def test_a_run_fires_injects_and_measures_each_step(db: Database, scenario_file: Path) -> None:
    run_id, incident_id, clock = run_drill(db, scenario_file)
    rows = db.read(
        "SELECT severity, drill_run_id, assigned_leader FROM incident WHERE id = :id",
        {"id": incident_id},
    )
    assert tuple(rows[0]) == ("II", run_id, "周文斌")
    actors = db.read(
        "SELECT kind, actor_name FROM timeline_entry WHERE incident_id = :id ORDER BY seq",
        {"id": incident_id},
    )
    assert ("field_change", "drill control") in [tuple(r) for r in actors]
    assert ("leader_instruction", "drill control") in [tuple(r) for r in actors]
    report = drills.build_report(db, run_id, now=clock.now())
    assert not report.complete  # the assignment is still owed
    by_step = {step.step: step for step in report.steps}
    assert by_step["intake"].elapsed == timedelta(minutes=2)
    assert by_step["phone_report"].elapsed == timedelta(minutes=15)
    assert by_step["phone_report"].verdict == "late"
    assert by_step["first_report"].elapsed == timedelta(minutes=30)
    assert by_step["first_report"].link == timedelta(minutes=15)
    assert by_step["first_report"].verdict == "met"
    assert by_step["assignment"].verdict == "missing"
    # Slowest links first: the missing step, then the late one, then those met.
    assert [s.step for s in report.steps] == [
        "assignment",
        "phone_report",
        "first_report",
        "intake",
    ]
    clock.advance(timedelta(seconds=30))
    _log(db, incident_id, "assignment", clock, target="市应急管理局")
    report = drills.build_report(db, run_id, now=clock.now())
    assert report.complete
    assert {s.step: s.elapsed for s in report.steps}["assignment"] == timedelta(minutes=35)
    assert [s.step for s in report.steps][:2] == ["assignment", "phone_report"]  # 15, 5 over
    assert report.met == 2 and report.targeted == 4
    assert drills.stop_run(request(db, now=clock.now()), finished=True) == run_id
    assert drills.active_run_id(db) is None
    # The rehearsal leaves nothing running in the live queue; its figures stay.
    state = db.read("SELECT is_open, status FROM incident WHERE id = :id", {"id": incident_id})
    assert tuple(state[0]) == (0, "closed")
    assert drills.build_report(db, run_id, now=clock.now()).met == 2


def test_one_run_at_a_time_and_a_report_taken_once(db: Database, scenario_file: Path) -> None:
    clock = FrozenClock(DEMO_MOMENT.astimezone(UTC))
    run_id = drills.start_run(db, scenario_file, speed=SPEED, actor="李晓明", now=clock.now())
    with pytest.raises(drills.DrillError, match="still running"):
        drills.start_run(db, scenario_file, actor="李晓明", now=clock.now())
    states = drills.injects(db, run_id)
    with pytest.raises(drills.DrillError, match="not come in yet"):
        _take(db, states[0].id, FrozenClock(DEMO_MOMENT - timedelta(minutes=1)))
    fired = drills.fire_due(request(db, now=clock.now(), rules=load_rules()))
    _take(db, fired[0].inject_id, clock)
    with pytest.raises(drills.DrillError, match="already been taken"):
        _take(db, fired[0].inject_id, clock)
    with pytest.raises(drills.DrillError, match="speed"):
        drills.start_run(db, scenario_file, speed=0, actor="x", now=clock.now())


def test_severity_waits_for_its_report(db: Database, scenario_file: Path) -> None:
    clock = FrozenClock(DEMO_MOMENT.astimezone(UTC))
    rules = load_rules()
    run_id = drills.start_run(db, scenario_file, speed=SPEED, actor="x", now=clock.now())
    clock.advance(timedelta(minutes=5))  # everything is due; the report was never taken
    assert [f.kind for f in drills.fire_due(request(db, now=clock.now(), rules=rules))] == [
        "report"
    ]
    assert drills.fire_due(request(db, now=clock.now(), rules=rules)) == []
    states = [s.state for s in drills.injects(db, run_id)]
    assert states == ["fired", "due", "due"]


# -- isolation ---------------------------------------------------------------------------


@pytest.fixture
def drilled(db: Database, scenario_file: Path) -> tuple[str, str]:
    """A real incident and a drill incident (with the canary) received the same night."""
    real = add_incident(db, title="真实事项", summary="东湖区一居民楼燃气泄漏")
    _, incident_id, _ = run_drill(db, scenario_file)
    serial = db.read("SELECT serial FROM incident WHERE id = :id", {"id": incident_id})[0][0]
    return real, str(serial)


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson", "md", "xlsx", "docx"])
def test_daily_export_leaves_drills_out_unless_asked(
    drilled: tuple[str, str],
    db_arg: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    real, drill = drilled
    for extra, shown in (((), False), (("--include-drills",), True)):
        target = tmp_path / f"daily-{shown}.{fmt}"
        code, _, err = run_cli(  # received at 01:31 on the 26th: the 25th's 值班日
            capsys, db_arg, "export", "daily", "--date", "2026-11-25", "--format", fmt,
            "-o", str(target), *extra,
        )  # fmt: skip
        assert code == 0, err
        data = target.read_bytes()
        text = zip_text(data) if fmt in {"xlsx", "docx"} else data.decode("utf-8")
        assert real in text
        assert (DRILL_CANARY in text) is shown, fmt
        assert (drill in text) is shown
        if shown and fmt != "ndjson":
            assert "[DRILL]" in text.replace("\\", "")  # md escapes brackets


@pytest.mark.parametrize("fmt", ["txt", "md", "docx"])
def test_handover_pack_leaves_drills_out(
    drilled: tuple[str, str],
    db_arg: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    real, drill = drilled
    target = tmp_path / f"pack.{fmt}"
    code, _, err = run_cli(
        capsys,
        db_arg,
        "handover",
        "--format",
        fmt,
        "-o",
        str(target),
        now="2026-11-26T08:30+08:00",
    )
    assert code == 0, err
    data = target.read_bytes()
    text = zip_text(data) if fmt == "docx" else data.decode("utf-8")
    assert real in text
    assert drill not in text and DRILL_CANARY not in text and "周文斌" not in text
    if fmt == "docx":
        document = Document(str(target))
        assert any(real in p.text for p in document.paragraphs) or real in text


def test_handover_counts_leave_drills_out(drilled: tuple[str, str], db: Database) -> None:
    from dutydesk.config import Settings
    from dutydesk.services.handover.pack import build_pack

    at = DEMO_MOMENT + timedelta(hours=6)
    pack = build_pack(
        request(db, now=at, rules=load_rules()),
        start=DEMO_MOMENT - timedelta(hours=12),
        at=at,
        settings=Settings(),
    )
    assert [item.serial for item in pack.received] == [drilled[0]]
    assert sum(count for _, count in pack.by_category) == 1
    assert all(item.serial != drilled[1] for item in pack.open)
    assert not pack.instructions  # the drill's leader instruction is not awaiting anyone


def test_bulletin_refuses_a_drill_incident(drilled: tuple[str, str], db: Database) -> None:
    real, drill = drilled
    with pytest.raises(BulletinError, match="drill"):
        draft_bulletin(
            db, kind=BulletinKind.EXPRESS, serials=[real, drill], actor="杨帆",
            now=DEMO_MOMENT, tz=SHANGHAI,
        )  # fmt: skip


def test_short_version_never_carries_a_drill_item(drilled: tuple[str, str], db: Database) -> None:
    from sqlmodel import select

    from dutydesk.services.bulletins.short_version import short_version
    from dutydesk.storage.models import BulletinItem

    real, drill = drilled
    bulletin_id = draft_bulletin(
        db, kind=BulletinKind.EXPRESS, serials=[real], actor="杨帆", now=DEMO_MOMENT, tz=SHANGHAI
    )
    # Even an item slipped in behind the service's back stays out of the short version.
    drill_id = db.read("SELECT id FROM incident WHERE serial = :s", {"s": drill})[0][0]
    with db.session() as session:
        session.add(
            BulletinItem(
                bulletin_id=bulletin_id, incident_id=drill_id, position=1, sms_allowed=True
            )
        )
        # Both 内部 items marked 可发短信/微信: the drill one still stays out.
        for item in session.exec(select(BulletinItem)).all():
            item.sms_allowed = True
    text = short_version(db, bulletin_id).full
    assert DRILL_CANARY not in text and "储罐" not in text


def test_queue_search_and_cli_mark_drill_incidents(
    drilled: tuple[str, str], db: Database, db_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from dutydesk.services.incidents.queue import fetch_window

    real, drill = drilled
    rows = {row.serial: row for row in fetch_window(db, 0, 100)}
    assert rows[drill].drill and not rows[real].drill  # the live queue shows it, marked
    from dutydesk.services.incidents.search import search

    for query in ("储罐", "CANARY"):  # the bigram and the trigram index both carry the mark
        found = search(request(db, clearance="internal"), query).rows
        assert [row.serial for row in found] == [drill] and found[0].drill
    assert not search(request(db, clearance="internal"), "燃气").rows[0].drill
    code, out, err = run_cli(capsys, db_arg, "incident", "list")
    assert code == 0, err
    line = next(line for line in out.splitlines() if drill in line)
    assert "[DRILL]" in line
    code, out, _ = run_cli(capsys, db_arg, "incident", "show", drill)
    assert "[DRILL]" in out
    code, out, _ = run_cli(capsys, db_arg, "incident", "show", drill, "--format", "json")
    assert json.loads(out)["drill_run_id"] == 1


# -- the command line ------------------------------------------------------------------


@pytest.fixture
def cli(db_arg: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from dutydesk.cli.app import main

    # The real entry point (dutydesk.cli.app.main) turns errors into one line and an exit
    # code; a one-command Typer app around it lets CliRunner drive it, stderr apart.
    entry = typer.Typer(add_completion=False)

    @entry.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def run_main(ctx: typer.Context) -> None:
        main(list(ctx.args))

    monkeypatch.setenv("DUTYDESK_OPERATOR", "李晓明")
    runner = CliRunner()

    def run(*args: str, now: str = "2026-11-26T02:31+08:00"):  # type: ignore[no-untyped-def]
        return runner.invoke(entry, ["--db", db_arg, "--now", now, *args])

    return run


def test_cli_list_start_status_stop_report(cli, scenario_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    listed = cli("drill", "list")
    assert listed.exit_code == 0, listed.output
    assert "chemical_fire" in listed.stdout and "urban_flood" in listed.stdout
    started = cli("drill", "start", "chemical_fire", "--speed", "10")
    assert started.exit_code == 0, started.output
    assert started.stdout.strip() == "1"
    assert "Drill 1 started" in started.stderr
    again = cli("drill", "start", str(scenario_file))
    assert again.exit_code == 2 and "still running" in again.stderr
    assert "Traceback" not in again.output
    status = cli("drill", "status", now="2026-11-26T02:33+08:00")
    assert status.exit_code == 0
    assert "化工园区" in status.stdout and "due" in status.stdout
    stopped = cli("drill", "stop")
    assert stopped.exit_code == 0 and "Drill 1 stopped" in stopped.stderr
    assert "No drill is running" in cli("drill", "status").stderr
    md = cli("drill", "report")
    assert md.exit_code == 0, md.output
    assert "Drill report" in md.stdout and "scenario time" in md.stdout
    assert "not done" in md.stdout
    target = tmp_path / "drill.docx"
    docx = cli("drill", "report", "1", "--format", "docx", "-o", str(target))
    assert docx.exit_code == 0, docx.output
    document = Document(str(target))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "[DRILL]" in text and "scenario time" in text
    steps = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert steps[0][:3] == ["Report", "Serial", "Step"]
    # Nothing was taken in this run: every one of the four targeted steps is "not done".
    assert [row[6] for row in steps[1:]] == ["not done"] * 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("drill", "start", "no_such_scenario"), "no drill scenario"),
        (("drill", "start", "chemical_fire", "--speed", "0"), "speed"),
        (("drill", "stop"), "no drill is running"),
        (("drill", "report", "7"), "no drill run 7"),
    ],
)
def test_cli_errors_are_one_line(cli, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_cli_bad_scenario_file_names_file_and_field(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[inject]]\nat = "soon"\nkind = "report"\nsummary = "x"\n', encoding="utf-8")
    result = cli("drill", "start", str(bad))
    assert result.exit_code == 2
    assert f"{bad}: inject[1].at: not a duration" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_cli_report_in_chinese(cli, scenario_file: Path, db: Database) -> None:  # type: ignore[no-untyped-def]
    run_drill(db, scenario_file)
    result = cli("--lang", "zh_CN", "drill", "report")
    assert result.exit_code == 0, result.output
    assert "【演练】" in result.stdout and "演练时间" in result.stdout
    # The report inject "call" is 来报1 in Chinese; durations in words (issue 12).
    lines = [line for line in result.stdout.splitlines() if line.startswith("| 来报1")]
    # Slowest links first: the assignment not done, then the late phone report.
    assert "交办" in lines[0] and "未完成" in lines[0]
    assert "电话报告" in lines[1] and "超时5分钟" in lines[1] and "15分钟" in lines[1]


def test_cli_lists_the_configured_drills_folder(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "office-drills"
    folder.mkdir()
    (folder / "office_fire.toml").write_text(SCENARIO, encoding="utf-8")
    (folder / "broken.toml").write_text('[[inject]]\nat = "x"\n', encoding="utf-8")
    monkeypatch.setenv("DUTYDESK_DRILLS_DIR", str(folder))
    result = cli("drill", "list")
    assert result.exit_code == 0
    assert "office_fire" in result.stdout and "测试演练" in result.stdout
    assert "broken" in result.stdout and "inject[1].kind: missing (one of report" in result.stdout
    started = cli("drill", "start", "office_fire")
    assert started.exit_code == 0 and "测试演练" in started.stderr
