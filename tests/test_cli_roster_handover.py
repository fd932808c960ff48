"""``dutydesk roster``, ``leave`` and ``handover`` from a shell: formats, streams, errors."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document

from dutydesk.cli.app import main
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT
from tests.templates import DemoTemplates

NOW = "2026-11-26T02:31+08:00"


class Result:
    def __init__(self, code: int, out: str, err: str, raw: bytes = b"") -> None:
        self.code, self.out, self.err, self.raw = code, out, err, raw


Cli = Callable[..., Result]
"""The ``cli`` fixture: ``dutydesk ARGS`` in-process on the demo."""


@pytest.fixture
def cli(
    db: Database,
    db_arg: str,
    demo_templates: DemoTemplates,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    demo_templates.load_into(db, DEMO_MOMENT)
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李晓明")
    monkeypatch.setenv("DUTYDESK_PIN", "1111")  # the demo has accounts: commands sign in

    def run(*args: str, stdin: str = "", now: str = NOW) -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsysbinary.readouterr()
        try:
            main(["--db", db_arg, "--now", now, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsysbinary.readouterr()
        return Result(
            code, captured.out.decode("utf-8", "replace"), captured.err.decode(), captured.out
        )

    return run


def one_line_error(result: Result, fragment: str) -> None:
    assert result.code == 2, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert fragment in lines[0]
    assert "Traceback" not in result.err


@pytest.mark.parametrize("fmt", ["txt", "md", "json"])
def test_handover_text_formats_go_to_stdout(cli: Cli, fmt: str) -> None:
    result = cli("handover", "--format", fmt)
    assert result.code == 0, result.err
    assert "20261125-012" in result.out and "20261125-019" in result.out
    assert "Handover pack 1 stored" in result.err
    if fmt == "json":
        data = json.loads(result.out)
        assert data["classified"][0] == {"serial": "20261125-012", "classification": "secret"}
    if fmt == "md":
        assert result.out.startswith("# Duty handover pack")


def test_handover_docx_to_a_file_or_a_pipe(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "交接班.docx"
    result = cli("handover", "--format", "docx", "-o", str(target), "--preview")
    assert result.code == 0 and result.out == ""
    assert "Written to" in result.err and "stored" not in result.err
    assert Document(str(target)).paragraphs[0].text == "Duty handover pack"
    piped = cli("handover", "--format", "docx", "--preview")  # stdout is captured: not a tty
    assert piped.code == 0 and piped.raw.startswith(b"PK")


def test_handover_docx_refused_on_a_terminal(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    one_line_error(cli("handover", "--format", "docx"), "-o FILE.docx")


def test_handover_ack_and_next_period(cli: Cli) -> None:
    one_line_error(cli("handover", "ack", "--names", "王立新"), "no unacknowledged handover pack")
    cli("handover", now="2026-11-26T08:30+08:00")
    result = cli("handover", "ack", "--names", "王立新，钱磊", now="2026-11-26T08:41+08:00")
    assert result.code == 0 and result.out.strip() == "1"
    assert "acknowledged by 王立新、钱磊" in result.err
    assert "next period starts 2026-11-26 08:30" in result.err
    later = cli("handover", "--preview", now="2026-11-26T10:00+08:00")
    assert "Period: 2026-11-26 08:30 +08:00 to 2026-11-26 10:00 +08:00" in later.out
    assert "zero report" in later.out
    one_line_error(cli("handover", "ack", "--names", ""), "--names")
    one_line_error(cli("handover", "ack", "--names", "赵静", "--id", "1"), "already acknowledged")


def test_the_duty_leader_leads_by_phone_or_at_the_desk_with_numbers_on_the_roster(
    cli: Cli,
) -> None:
    # Issue 12: 带班领导 在岗/电话带班 and contact numbers on the roster.
    result = cli("roster", "lead", "--date", "2026-11-25", "--shift", "night", "--by-phone")
    assert result.code == 0, result.err
    shown = json.loads(cli("roster", "show", "--format", "json").out)
    night = next(s for s in shown if s["date"] == "2026-11-25" and s["shift"] == "night")
    assert night["duty_leader_on_call"] is True
    assert night["duty_leader"].endswith("(by phone)")
    assert night["phones"], "the roster carries contact numbers"
    table = cli("roster", "show", "--phones").out
    name, phone = next(iter(night["phones"].items()))
    assert f"{name}" in table and phone in table
    back = cli("roster", "lead", "--date", "2026-11-25", "--shift", "night", "--on-site")
    assert back.code == 0 and "at the desk" in back.err
    one_line_error(
        cli("roster", "lead", "--date", "2030-01-01", "--shift", "day"), "no duty leader"
    )


def test_a_change_of_shift_is_recorded_and_signed_from_the_cli(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 12: a record at every change of shift, signed by the three in their own names.
    made = cli("handover", "shift")  # 02:31: the night's end at 08:30
    assert made.code == 0, made.err
    number = made.out.strip()
    assert "→ 11-26 08:30" in made.err and "signatures missing" in made.err
    one_line_error(cli("handover", "sign", number, "--as", "outgoing"), "not on the roster")
    monkeypatch.setenv("DUTYDESK_OPERATOR", "黄雨婷")  # on the night shift
    monkeypatch.setenv("DUTYDESK_PIN", "4444")
    signed = cli("handover", "sign", number, "--as", "outgoing")
    assert signed.code == 0 and "outgoing 黄雨婷 02:31" in signed.err, signed.err
    listed = cli("handover", "shifts")
    assert f"#{number} 2026-11-25 Night shift" in listed.out
    assert "incoming (not signed)" in listed.out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("handover", "--format", "csv"), "'csv' is not one of 'txt', 'md', 'json', 'docx'"),
        (("handover", "--at", "yesterday"), "--at"),
        (("handover", "--clearance", "top_secret"), "李晓明 is not cleared to top_secret"),
        (("roster", "show", "--week", "2026-02-30"), "--week: '2026-02-30' is not a date"),
        (("roster", "generate", "--from", "2026-12-05", "--to", "2026-12-01"), "is after --to"),
        (("roster", "swap", "李晓明", "无名氏", "--date", "2026-11-26"), "nobody called '无名氏'"),
        (("roster", "special", "--from", "2026-12-01", "--to", "2026-12-02"), "--note"),
        (
            (
                "roster",
                "cover",
                "--date",
                "2026-11-26",
                "--for",
                "李晓明",
                "--by",
                "钱磊",
                "--from",
                "25:00",
                "--to",
                "03:00",
            ),
            "--from: '25:00'",
        ),
        (
            (
                "leave",
                "add",
                "--leader",
                "周文斌",
                "--from",
                "2026-12-02T08:00",
                "--to",
                "2026-12-01T08:00",
                "--acting",
                "陈国华",
            ),
            "--from must come before --to",
        ),
        (
            (
                "leave",
                "add",
                "--leader",
                "周文斌",
                "--from",
                "2026-12-01T08:00",
                "--to",
                "2026-12-02T08:00",
                "--acting",
                "周文斌",
            ),
            "cannot act for themself",
        ),
        (
            (
                "leave",
                "add",
                "--leader",
                "郑明",
                "--from",
                "2026-11-26T10:00",
                "--to",
                "2026-11-27T08:00",
                "--acting",
                "吴海峰",
            ),
            "吴海峰 is away too",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli: Cli, args: tuple[str, ...], fragment: str) -> None:
    one_line_error(cli(*args), fragment)


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_roster_show_formats(cli: Cli, fmt: str) -> None:
    result = cli("roster", "show", "--week", "2026-11-26", "--format", fmt)
    assert result.code == 0, result.err
    if fmt == "json":
        rows = json.loads(result.out)
        assert len(rows) == 14 and rows[7]["duty_leader"] == "张振华"
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.out)))
        assert rows[6]["duty_officer"] == "钱磊" and rows[6]["special_period"] == "True"
    else:
        assert "张振华" in result.out and "special period" in result.out


def test_roster_import_generate_swap_cover_special(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "roster.csv"
    good.write_text(
        "date,shift,position,name\n2026-12-20,night,duty_leader,张振华\n", encoding="utf-8"
    )
    result = cli("roster", "import", str(good))
    assert result.code == 0 and "Imported 1 seats on 1 shifts" in result.err
    bad = cli("roster", "import", "-", stdin="2026-12-20,night,duty_leader,黄雨婷\n")
    one_line_error(bad, "line 1, name: 黄雨婷 does not hold the role duty_leader; nothing imported")
    proposal = cli(
        "roster", "generate", "--from", "2026-12-10", "--to", "2026-12-11", "--format", "json"
    )
    assert proposal.code == 0 and len(json.loads(proposal.out)) == 14
    assert "nothing written" in proposal.err and "Fairness" in proposal.err
    applied = cli("roster", "generate", "--from", "2026-12-10", "--to", "2026-12-11", "--apply")
    assert "Wrote 14 seats" in applied.err
    swapped = cli(
        "roster", "swap", "李晓明", "赵静", "--date", "2026-11-26", "--with-date", "2026-11-27"
    )
    assert swapped.code == 0 and "Swapped" in swapped.err and "Warning" in swapped.err
    covered = cli("roster", "cover", "--date", "2026-11-26", "--for", "杨帆", "--by", "许文博",
                  "--from", "02:00", "--to", "08:30")  # fmt: skip
    assert covered.code == 0 and "许文博 covers 杨帆" in covered.err
    shown = cli("roster", "show", "--week", "2026-11-26", "--format", "json")
    night = json.loads(shown.out)[7]
    assert night["information_officer"] == "杨帆; 许文博 (02:00-08:30)"
    special = cli(
        "roster", "special", "--from", "2026-12-24", "--to", "2026-12-25", "--note", "测试"
    )
    assert "Marked 4 shifts" in special.err


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_leave_add_and_list(cli: Cli, fmt: str) -> None:
    added = cli("leave", "add", "--leader", "周文斌", "--from", "2026-11-28T10:00", "--to",
                "2026-11-29T18:00", "--acting", "陈国华", "--destination", "省城", "--reason", "开会")  # fmt: skip
    assert added.code == 0 and added.out.strip().isdigit()
    listed = cli("leave", "list", "--format", fmt)
    assert listed.code == 0
    if fmt == "json":
        assert [r["leader"] for r in json.loads(listed.out)] == [
            "刘志远",
            "吴海峰",
            "周文斌",
            "郑明",
        ]
    else:
        assert "周文斌" in listed.out and "陈国华" in listed.out


def test_operator_is_required_for_changes(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUTYDESK_OPERATOR")
    one_line_error(
        cli("roster", "special", "--from", "2026-12-01", "--to", "2026-12-01", "--note", "x"),
        "--operator",
    )


@pytest.mark.parametrize(
    ("language", "show_head", "generate_head"),
    [
        ("en", ["Date", "Shift"], ["Date", "Shift", "Position", "Name", "New"]),
        ("zh_CN", ["日期", "班次"], ["日期", "班次", "岗位", "姓名", "新排"]),
    ],
)
def test_roster_table_headers_name_their_columns(
    cli: Cli, language: str, show_head: list[str], generate_head: list[str]
) -> None:
    """Issue 10 audit (as defect 13): "Time"/"Kind" sat on the date and shift columns."""
    shown = cli("--lang", language, "roster", "show", "--week", "2026-11-26")
    assert shown.code == 0, shown.err
    assert shown.out.split()[:2] == show_head
    assert shown.out.splitlines()[1].split()[0] == "2026-11-23"  # a date under "Date"
    proposal = cli("--lang", language, "roster", "generate", "--from", "2026-12-10",
                   "--to", "2026-12-10")  # fmt: skip
    assert proposal.code == 0, proposal.err
    assert proposal.out.splitlines()[0].split() == generate_head


def test_a_bare_at_is_the_next_meeting_not_yesterdays(cli: Cli) -> None:
    # Typed at 02:31 on the night of the demo, "08:30" is this morning's meeting.
    result = cli("handover", "--at", "08:30", "--preview")
    assert result.code == 0, result.err
    assert "Period: 2026-11-25 08:30 +08:00 to 2026-11-26 08:30 +08:00" in result.out
    assert "zero report" not in result.out
    assert "before the period ends" in result.out  # made at 02:31, said in words


def test_a_past_period_is_said_in_words(cli: Cli) -> None:
    result = cli("handover", "--at", "2026-11-25T08:30", "--preview")
    assert result.code == 0, result.err
    assert "Period: 2026-11-24 08:30 +08:00 to 2026-11-25 08:30 +08:00" in result.out
    assert "not the current one" in result.out
    current = cli("handover", "--preview")
    assert "not the current one" not in current.out
    assert "before the period ends" not in current.out


def test_cover_times_typed_with_a_full_width_colon(cli: Cli) -> None:
    """``０２：００`` from a Chinese input method is 02:00, as in the console's cover form."""
    covered = cli("roster", "cover", "--date", "2026-11-26", "--for", "杨帆", "--by", "许文博",
                  "--from", "０２：００", "--to", "08：30")  # fmt: skip
    assert covered.code == 0, covered.err
    night = json.loads(cli("roster", "show", "--week", "2026-11-26", "--format", "json").out)[7]
    assert night["information_officer"] == "杨帆; 许文博 (02:00-08:30)"


def test_leave_to_a_date_alone_includes_that_day(cli: Cli) -> None:
    """``--to 2026-11-30`` is back after the 30th, as the console's leave form reads it."""
    added = cli("leave", "add", "--leader", "周文斌", "--from", "2026-11-28", "--to",
                "2026-11-30", "--acting", "陈国华")  # fmt: skip
    assert added.code == 0, added.err
    assert "2026-11-28 00:00" in added.err and "2026-12-01 00:00" in added.err


def test_roster_zero_report_records_the_days_report_once(cli: Cli) -> None:
    # The demo's special period runs from 24 to 28 November.
    made = cli("roster", "zero-report", "--date", "2026-11-27", "--none")
    assert made.code == 0, made.err
    assert "Zero report (零报告) of 2026-11-27 recorded (李晓明," in made.err
    again = cli("roster", "zero-report", "--date", "2026-11-27", "--text", "无新情况")
    one_line_error(again, "the daily report of 2026-11-27 was recorded already (by 李晓明)")
    told = cli("roster", "zero-report", "--date", "2026-11-28", "--text", "博览会闭幕，秩序良好")
    assert told.code == 0 and "Daily report of 2026-11-28 recorded" in told.err
    outside = cli("roster", "zero-report", "--date", "2026-12-20", "--none")
    one_line_error(outside, "2026-12-20 is not in a special period")
    neither = cli("roster", "zero-report", "--date", "2026-11-24")
    one_line_error(neither, "(--text) or that there was nothing to report (--none)")
    bad = cli("roster", "zero-report", "--date", "27 Nov", "--none")
    one_line_error(bad, "--date")
