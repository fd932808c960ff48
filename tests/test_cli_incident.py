"""``dutydesk incident``: add, list, show, log, edit, in every format, and bad input."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dutydesk.cli.app import main
from dutydesk.storage.engine import Database

NOW = "2026-11-26T02:31+08:00"
HOSTILE = {
    "summary": "note [/] end",
    "title": "[@click=app.quit]x[/]",
    "location": "\x1b]52;c;ZWNobw==\x1b\\",
    "reporter_name": "report\u202egpj.exe",
    "reporter_unit": "=cmd|' /C calc'!A0",
}


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


Cli = Callable[..., Result]
"""The ``cli`` fixture: ``dutydesk incident ARGS`` in-process."""


@pytest.fixture
def cli(db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI on the test's own store: a SQLite file, or PostgreSQL in the second pass."""
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李四")

    def run(*args: str, stdin: str | None = None, now: str = NOW) -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        capsys.readouterr()
        try:
            main(["--db", db_arg, "--now", now, "incident", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def counts(db: Database) -> tuple[int, int]:
    return (
        int(db.read("SELECT count(*) FROM incident")[0][0]),
        int(db.read("SELECT count(*) FROM timeline_entry")[0][0]),
    )


def add_fire(cli: Cli, **extra: str) -> str:
    args = ["add", "--summary", "幸福路12号燃气爆炸，3人受伤", "--received", "02:14"]
    args += ["--category", "accident", "--severity", "IV", "--location", "幸福路12号"]
    extra.setdefault("occurred", "02:05")  # 事发时间: a written report must say it
    for name, value in extra.items():
        args += [f"--{name.replace('_', '-')}", value]
    result = cli(*args)
    assert result.code == 0, result.err
    return result.out.strip()


def test_add_prints_the_serial_and_fills_defaults(cli: Cli) -> None:
    result = cli("add", "--summary", "市民来电反映停电，已两小时")
    assert (result.code, result.out) == (0, "20261126-001\n")
    # Unassessed is urgent: the initial grading (初判) is due in 15 minutes.
    assert result.err == "20261126-001 registered; next: grading due 2026-11-26 02:46\n"
    shown = json.loads(cli("show", "20261126-001", "--format", "json").out)
    assert {k: shown[k] for k in ("channel", "category", "severity", "classification")} == {
        "channel": "phone",
        "category": "other",
        "severity": "unassessed",
        "classification": "internal",
    }
    assert shown["title"] == "市民来电反映停电"  # the summary's first clause
    assert shown["received_at"] == "2026-11-26T02:31:00+08:00"
    assert shown["timeline"][0]["actor"] == "李四"


def test_add_warns_of_a_likely_duplicate_and_links(cli: Cli, db: Database) -> None:
    first = add_fire(cli)
    second = cli(
        "add", "--summary", "有人报警", "--category", "accident", "--location", "幸福路 12号"
    )
    assert second.out == "20261126-002\n"
    assert "may be the same matter as 20261126-001" in second.err
    assert "--link 20261126-001" in second.err
    linked = cli("add", "--summary", "第三位群众来电", "--reporter-name", "赵某", "--link", first)
    assert (linked.code, linked.out) == (0, f"{first} 2\n")
    assert "recorded as note, entry 2" in linked.err  # no first report yet: kept as a note
    assert counts(db) == (2, 3)


@pytest.mark.parametrize("as_list", [False, True])
def test_add_json_from_stdin(cli: Cli, as_list: bool) -> None:
    items = [
        {
            "summary": "基层报送：山体滑坡",
            "channel": "grassroots",
            "received": "2026-11-26T01:00+08:00",
        },
        {"summary": "基层报送：道路塌陷", "channel": "grassroots", "severity": "III"},
    ]
    payload = items if as_list else items[0]
    result = cli("add", "--json", "-", stdin=json.dumps(payload, ensure_ascii=False))
    assert result.code == 0, result.err
    expected = ["20261126-001", "20261126-002"] if as_list else ["20261126-001"]
    assert result.out.split() == expected
    listed = json.loads(cli("list", "--format", "json").out)
    assert sorted(item["summary"] for item in listed) == sorted(
        item["summary"] for item in (items if as_list else items[:1])
    )


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (["add", "--summary", "x", "--channel", "pigeon"], None, "channel: 'pigeon' is not one of"),
        (["add", "--summary", "x", "--received", "yesterday-ish"], None, "received: not a date"),
        (["add", "--summary", "x", "--received", "2026-11-27T09:00"], None, "is in the future"),
        (["add", "--summary", "   "], None, "summary: say what was reported"),
        (["add"], None, "summary"),
        (["add", "--json", "-"], '{"summary": "x", "colour": "red"}', "colour: unknown field"),
        (["add", "--json", "-"], '{"summary": 3}', "summary: expected text"),
        (["add", "--json", "-"], "{not json", "--json: not valid JSON"),
        (["add", "--json", "-"], "[]", "the list is empty"),
        (
            ["add", "--json", "-"],
            '[{"summary": "a"}, {"summary": "b", "severity": "V"}]',
            "item 2: severity: 'V' is not one of",
        ),
        (["add", "--json", "-", "--summary", "x"], "{}", "as JSON or as options"),
        (
            ["log", "20261126-001", "continued-report", "--text", "x"],
            None,
            "record the first report first",
        ),
        (["log", "20261126-001", "feedback", "--text", "x"], None, "say which entry it answers"),
        (["log", "20261126-001", "feedback", "--refers-to", "9"], None, "has no entry 9"),
        (["log", "20261126-001", "reopen"], None, "is not closed"),
        (["log", "20261126-001", "instruction", "--leader", "周文斌"], None, "verbatim"),
        (["log", "20261126-001", "shrug"], None, "kind: 'shrug' is not one of verify"),
        (["log", "20261126-001", "note", "--due", "soon"], None, "due: not a date"),
        (["log", "20261126-999", "note", "--text", "x"], None, "no incident '20261126-999'"),
        (["edit", "20261126-001", "--severity", "V"], None, "severity: 'V' is not one of"),
        (["edit", "20261126-001"], None, "name at least one field"),
        (
            ["edit", "20261126-001", "--severity", "II", "--expected-version", "7"],
            None,
            "changed by someone else",
        ),
        (["list", "--status", "asleep"], None, "status: 'asleep' is not one of"),
        (["show", "20261126-001", "--format", "csv"], None, "'csv' is not one of 'table', 'json'"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    cli: Cli, db: Database, args: list[str], stdin: str | None, fragment: str
) -> None:
    add_fire(cli)
    before = counts(db)
    result = cli(*args, stdin=stdin)
    assert result.code in {1, 2}, result.err
    if "no incident" not in fragment:
        assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("dutydesk: error:") and fragment in lines[0], lines[0]
    assert result.out == ""
    assert counts(db) == before


def test_writing_needs_an_operator(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUTYDESK_OPERATOR")
    result = cli("add", "--summary", "x")
    assert result.code == 2 and "--operator" in result.err
    assert cli("add", "--summary", "x", "--operator", "王五").code == 0


FOLLOW_UP = [
    # (args after SERIAL, stdout seq, status after, extra check in stderr)
    (["verify", "--text", "已回拨派出所核实"], 2, "verifying"),
    (["phone-report", "--to", "张三", "--text", "电话报带班领导"], 3, "reported"),
    (["first-report", "--to", "张三", "--text", "书面首报"], 4, "reported"),
    (["continued-report", "--text", "续报：伤员已送医"], 5, "following"),
    (
        ["instruction", "--leader", "周文斌", "--text", "全力救治伤员。", "--due", "+2h"],
        6,
        "following",
    ),
    (
        ["assign", "--to", "市应急管理局", "--text", "转办", "--due", "2026-11-27T09:00"],
        7,
        "following",
    ),
    (["supervise", "--to", "市应急管理局", "--text", "督促反馈"], 8, "following"),
    (
        ["feedback", "--refers-to", "6", "--to", "市卫健委", "--text", "伤员情况稳定"],
        9,
        "following",
    ),
    (["note", "--text", "note [/] end"], 10, "following"),
    (["correction", "--refers-to", "5", "--text", "应为4名伤员"], 11, "following"),
    (["final-report", "--text", "终报"], 12, "closed"),
    (["reopen", "--reason", "家属反映仍有1人失联"], 13, "following"),
    (["continued-report", "--text", "续报二"], 14, "following"),
    (["close", "--reason", "已办结"], 15, "closed"),
    # The instruction outlives the matter: its feedback is reported back, then it is done.
    (["report-back", "--refers-to", "6", "--text", "已报周文斌同志"], 16, "closed"),
]


def test_a_written_first_report_is_refused_until_the_time_it_happened_is_given(
    cli: Cli,
) -> None:
    # Issue 12: 事发时间 is a required 报告要素 of the first written report.
    added = cli("add", "--summary", "隧道塌方，2人被困", "--category", "accident")
    serial = added.out.strip()
    assert cli("log", serial, "phone-report", "--to", "张三").code == 0  # may go first
    refused = cli("log", serial, "first-report", "--text", "书面首报")
    assert refused.code == 2
    assert refused.err.count("\n") == 1 and "--occurred" not in refused.out
    assert "a written report must state it" in refused.err
    assert cli("edit", serial, "--occurred", "02:00").code == 0
    assert cli("log", serial, "first-report", "--text", "书面首报").code == 0


def test_every_follow_up_kind(cli: Cli) -> None:
    serial = add_fire(cli)
    for args, seq, status in FOLLOW_UP:
        result = cli("log", serial, *args)
        assert result.code == 0, (args, result.err)
        assert result.out == f"{serial} {seq}\n"
        assert f"status {status}" in result.err
    shown = json.loads(cli("show", serial, "--format", "json").out)
    timeline = shown["timeline"]
    assert [entry["kind"] for entry in timeline] == [
        "received", "verified", "phone_report", "first_report", "continued_report",
        "leader_instruction", "assignment", "supervision", "feedback", "note", "correction",
        "final_report", "reopened", "continued_report", "closed", "reported_back",
    ]  # fmt: skip
    assert [e["report_no"] for e in timeline if e["kind"] == "continued_report"] == [1, 2]
    assert timeline[8]["refers_to"] == 6 and timeline[10]["refers_to"] == 5
    assert timeline[5]["target"] == "周文斌"
    assert timeline[5]["due_at"] == "2026-11-26T04:31:00+08:00"  # +2h from 02:31 local
    assert timeline[12]["text"] == "家属反映仍有1人失联"
    assert shown["status"] == "closed" and shown["due_at"] is None
    assert shown["assigned_leader"] == "周文斌" and shown["assigned_department"] == "市应急管理局"
    table = cli("show", serial).out
    assert "Continued report 2" in table and "leader instruction" in table


def test_edit_raises_severity_and_moves_the_clock(cli: Cli) -> None:
    serial = add_fire(cli)
    result = cli("edit", serial, "--severity", "II", "--expected-version", "1")
    assert (result.code, result.out) == (0, "2\n")
    assert (
        result.err == f"{serial}: changed, now version 2; next: phone report due 2026-11-26 02:34\n"
    )
    again = cli("edit", serial, "--severity", "II")
    assert (again.out, again.err) == (
        "2\n",
        f"{serial}: nothing to change (the values are already so)\n",
    )
    timeline = json.loads(cli("show", serial, "--format", "json").out)["timeline"]
    assert (timeline[-1]["kind"], timeline[-1]["text"]) == ("field_change", 'severity: "IV" → "II"')


def test_a_letter_is_a_request_whose_clock_counts_the_office_s_holidays(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Thursday 02:31: a letter from the public owes 转办 by the end of the next working
    # day, Friday; not a written first report in six hours as an emergency would.
    letter = ["add", "--summary", "市民来函反映小区电梯长期故障", "--channel", "letter"]
    result = cli(*letter)
    assert result.err.endswith("next: assign due 2026-11-28 00:00\n"), result.err
    shown = json.loads(cli("show", result.out.strip(), "--format", "json").out)
    assert shown["due_step"] == "assign"
    # The office enters a day off on Friday (a notice the package does not know yet).
    holidays = tmp_path / "holidays.toml"
    holidays.write_text('[2026]\nholidays = ["2026-11-27"]\n', encoding="utf-8")
    monkeypatch.setenv("DUTYDESK_HOLIDAYS_FILE", str(holidays))
    again = cli(*letter)
    assert "next: assign due 2026-12-01 00:00\n" in again.err, again.err
    # The officer decides it is an emergency after all: the change is on the timeline.
    serial = again.out.strip()
    changed = cli("edit", serial, "--kind", "emergency")
    assert changed.code == 0, changed.err
    timeline = json.loads(cli("show", serial, "--format", "json").out)["timeline"]
    assert timeline[-1]["text"] == 'matter_kind: "request" → "emergency"'
    assert "initial_grading" in json.loads(cli("show", serial, "--format", "json").out)["due_step"]


def test_a_leader_s_instruction_is_followed_to_its_end_after_the_final_report(
    cli: Cli,
) -> None:
    # Issue 12: a final report dropped an instruction without feedback from 待反馈.
    serial = add_fire(cli)
    cli("log", serial, "first-report", "--to", "张振华")
    told = cli("log", serial, "instruction", "--leader", "周文斌", "--text", "请核实伤亡并报告")
    assert told.code == 0, told.err
    instruction = told.out.split()[1]
    final = cli("log", serial, "final-report", "--text", "终报：现场处置完毕。")
    assert final.code == 0, final.err
    shown = json.loads(cli("show", serial, "--format", "json").out)
    assert (shown["status"], shown["due_step"]) == ("closed", "feedback")
    assert serial in cli("list").out  # still in the live queue until 报结
    answered = cli(
        "log", serial, "feedback", "--refers-to", instruction, "--text", "伤员均无生命危险"
    )
    assert answered.code == 0, answered.err  # feedback on a closed matter is taken
    assert json.loads(cli("show", serial, "--format", "json").out)["due_step"] == "report_back"
    refused = cli("log", serial, "report-back", "--text", "已报周文斌同志")
    assert refused.code != 0 and "报结" not in refused.out
    done = cli("log", serial, "report-back", "--refers-to", instruction, "--text", "已报周文斌")
    assert done.code == 0, done.err
    shown = json.loads(cli("show", serial, "--format", "json").out)
    assert (shown["status"], shown["due_step"]) == ("closed", None)
    assert serial not in cli("list").out


def test_the_report_elements_are_typed_at_intake_and_each_change_is_recorded(
    cli: Cli,
) -> None:
    # Issue 12: 事发时间, casualties, 敏感 and a report cadence, at intake and by edit.
    result = cli(
        "add", "--summary", "隧道塌方，12人被困", "--category", "accident", "--severity", "III",
        "--occurred", "02:05", "--trapped", "12", "--deaths", "0", "--report-every", "60",
    )  # fmt: skip
    assert result.code == 0, result.err
    serial = result.out.strip()
    shown = json.loads(cli("show", serial, "--format", "json").out)
    assert shown["occurred_at"] == "2026-11-26T02:05:00+08:00"
    assert (shown["trapped"], shown["deaths"], shown["report_every_minutes"]) == (12, 0, 60)
    assert (shown["matter_kind"], shown["sensitive"]) == ("emergency", False)
    changed = cli("edit", serial, "--trapped", "9", "--injured", "3", "--sensitive")
    assert changed.code == 0, changed.err
    shown = json.loads(cli("show", serial, "--format", "json").out)
    assert (shown["trapped"], shown["injured"], shown["sensitive"]) == (9, 3, True)
    assert shown["due_step"] == "phone_report"  # sensitive: grade I's clocks now
    change = shown["timeline"][-1]["text"].splitlines()
    assert 'trapped: "12" → "9"' in change and 'injured: "" → "3"' in change
    assert 'sensitive: "no" → "yes"' in change
    page = cli("show", serial).out
    assert "受伤3人、被困9人" in page and "sensitive · reports every 60 min" in page
    for bad, message in (
        (["--deaths", "-1"], "cannot be negative"),
        (["--report-every", "0"], "more than 0 minutes"),
        (["--injured", "three"], "whole number"),
    ):
        refused = cli("edit", serial, *bad)
        assert refused.code != 0 and message in refused.err, (bad, refused.err)
    late = cli("add", "--summary", "事发在接报之后？", "--received", "02:20", "--occurred", "02:25")
    assert late.code != 0 and "cannot happen after it was reported" in late.err


def test_list_formats_and_filters(cli: Cli) -> None:
    add_fire(cli)
    cli("add", "--summary", "欠薪上访", "--category", "public_request", "--channel", "walk_in")
    cli("log", "20261126-002", "close", "--reason", "已答复")
    table = cli("list").out.splitlines()
    assert table[0].split()[:4] == ["Serial", "Received", "(+08:00)", "Ch."]
    assert [line.split()[0] for line in table[1:]] == ["20261126-001"]
    assert "幸福路12号燃气爆炸" in table[1] and "first report" in table[1]
    everything = json.loads(cli("list", "--all", "--format", "json").out)
    assert [item["serial"] for item in everything] == ["20261126-001", "20261126-002"]
    rows = list(csv.reader(io.StringIO(cli("list", "--all", "--format", "csv").out)))
    assert rows[0][:3] == ["serial", "received_at", "channel"]
    assert [row[0] for row in rows[1:]] == ["20261126-001", "20261126-002"]
    cases = {
        ("--category", "public_request"): ["20261126-002"],
        ("--channel", "phone"): ["20261126-001"],
        ("--severity", "IV"): ["20261126-001"],
        ("--status", "closed"): ["20261126-002"],
        ("--from", "02:20"): ["20261126-002"],
        ("--to", "02:20"): ["20261126-001"],
    }
    for args, serials in cases.items():
        found = json.loads(cli("list", "--all", *args, "--format", "json").out)
        assert [item["serial"] for item in found] == serials, args
    empty = cli("list", "--category", "natural_disaster")
    assert (empty.out, empty.err) == ("", "No incidents match.\n")


def test_hostile_strings_exact_in_json_sanitised_in_tables_neutralised_in_csv(cli: Cli) -> None:
    result = cli("add", "--json", "-", stdin=json.dumps(HOSTILE))
    assert result.code == 0, result.err
    serial = result.out.strip()
    cli("log", serial, "note", "--text", HOSTILE["location"] + HOSTILE["title"])
    shown = json.loads(cli("show", serial, "--format", "json").out)
    assert {key: shown[key] for key in HOSTILE} == HOSTILE
    assert shown["timeline"][1]["text"] == HOSTILE["location"] + HOSTILE["title"]
    listed = json.loads(cli("list", "--format", "json").out)[0]
    assert listed["title"] == HOSTILE["title"]
    for table in (cli("show", serial).out, cli("list").out):
        assert "\x1b" not in table and "\u202e" not in table
        assert "ZWNobw" not in table  # the whole OSC 52 sequence is gone, not just ESC
    page = cli("show", serial).out
    assert "report⟨U+202E⟩gpj.exe" in page and "[@click=app.quit]x[/]" in page
    assert "note [/] end" in page
    rows = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv").out)))
    assert rows[0]["title"] == HOSTILE["title"]
    cli("edit", serial, "--title", '=HYPERLINK("http://x")', "--expected-version", "2")
    rows = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv").out)))
    assert rows[0]["title"] == '\'=HYPERLINK("http://x")'


def test_chinese_interface(cli: Cli, db_arg: str, capsys: pytest.CaptureFixture[str]) -> None:
    serial = add_fire(cli)
    cli("log", serial, "first-report", "--text", "首报")
    cli("log", serial, "continued-report", "--text", "续报")
    capsys.readouterr()
    with pytest.raises(SystemExit) as caught:
        main(
            [
                "--db",
                db_arg,
                "--now",
                NOW,
                "--lang",
                "zh_CN",
                "incident",
                "log",
                serial,
                "reopen",
            ]
        )
    assert caught.value.code == 2
    assert "事项尚未办结" in capsys.readouterr().err
    main(["--db", db_arg, "--now", NOW, "--lang", "zh_CN", "incident", "show", serial])
    page = capsys.readouterr().out
    assert "续报一" in page and "编号" in page


@pytest.mark.parametrize(
    "typed", ["01:05", "01：05", "０１：０５", "2026-11-26 01：05", "2026-11-26　01:05"]
)
def test_received_typed_with_a_full_width_colon_or_digits(cli: Cli, typed: str) -> None:
    """The console took ``01：05`` (a Chinese input method's colon); the CLI must too."""
    result = cli("add", "--summary", "传真来报", "--received", typed)
    assert result.code == 0, result.err
    shown = json.loads(cli("show", result.out.strip(), "--format", "json").out)
    assert shown["received_at"] == "2026-11-26T01:05:00+08:00"


def test_a_due_date_without_a_time_is_the_end_of_office_hours(cli: Cli) -> None:
    """``--due 2026-11-27`` means what the console's due field says: 17:30 that day."""
    serial = add_fire(cli)
    result = cli("log", serial, "instruction", "--leader", "周文斌", "--text", "查明原因。",
                 "--due", "2026-11-27")  # fmt: skip
    assert result.code == 0, result.err
    timeline = json.loads(cli("show", serial, "--format", "json").out)["timeline"]
    assert timeline[-1]["due_at"] == "2026-11-27T17:30:00+08:00"
