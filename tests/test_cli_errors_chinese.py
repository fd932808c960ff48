"""Under zh_CN a refused command says why in Chinese: one line, exit 2, no English sentence.

A Chinese officer at 3 a.m. types ``--lang zh_CN`` (or has DUTYDESK_LANG=zh_CN) and must
not meet "summary: say what was reported". Option names (``--from``), serials, dates
and typed values stay as typed; everything else is 公文 Chinese. The message keys the
services raise with live in both catalogues with the same placeholders.
"""

from __future__ import annotations

import ast
import io
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import dutydesk
from dutydesk.cli.app import main
from dutydesk.i18n import catalog, set_language
from tests.conftest import DEMO_MOMENT, DemoDb

NOW = "2026-11-26T02:31+08:00"
OPEN = "20261126-005"
"""An open emergency of the demo night, received at 02:15."""

CJK = re.compile(r"[\u4e00-\u9fff]")
KEEP_AS_TYPED = re.compile(
    r"--[a-z][\w-]*"  # an option name: what the officer types
    r"|\d{8}-\d{3}"  # a serial
    r"|'[^']*'|\"[^\"]*\""  # a value as typed, quoted
    r"|\b[a-z]+(?:_[a-z]+)+\b"  # a stable identifier (a choice such as public_health)
    r"|\bdutydesk\b(?: [a-z]+){0,2}"  # the command itself, e.g. dutydesk user passwd
)
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]+(?: +[A-Za-z]+){2,}\b")

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def zh(
    demo_db: DemoDb,
    db_arg: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    """``dutydesk --lang zh_CN ARGS`` on the demo night (on the pass's store); (exit code, stderr)."""
    demo_db(DEMO_MOMENT)
    monkeypatch.setenv("DUTYDESK_OPERATOR", "李晓明")
    monkeypatch.setenv("DUTYDESK_PIN", "1111")

    def run(*args: str, lang: str = "option") -> tuple[int, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        head = ["--db", db_arg, "--now", NOW]
        if lang == "option":
            head += ["--lang", "zh_CN"]
        else:  # the officer's environment says it
            monkeypatch.setenv("DUTYDESK_LANG", "zh_CN")
        capsys.readouterr()
        try:
            main([*head, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            monkeypatch.delenv("DUTYDESK_LANG", raising=False)
            set_language("en")
        return code, capsys.readouterr().err

    run.db_arg = db_arg  # type: ignore[attr-defined]
    return run


def english_left(line: str) -> list[str]:
    """Runs of three or more English words once what is typed as is is taken out."""
    return ENGLISH_SENTENCE.findall(KEEP_AS_TYPED.sub(" ", line))


LEAVE = ["leave", "add", "--leader", "张振华", "--acting", "王立新", "--destination", "北京"]
LEAVE += ["--reason", "开会"]
WEEK = ["--from", "2026-11-27 08:00", "--to", "2026-11-28 08:00"]

FAILING: list[tuple[str, list[str]]] = [
    ("blank summary", ["incident", "add", "--summary", "   "]),
    ("occurred after received", ["incident", "add", "--summary", "某地停电", "--received", "02:20",
                                 "--occurred", "2026-11-26T02:25+08:00"]),
    ("bad category", ["incident", "add", "--summary", "某地停电", "--category", "fire"]),
    ("entry before receipt", ["incident", "log", OPEN, "note", "--text", "核实",
                              "--at", "2026-11-26T01:00+08:00"]),
    ("due before entry", ["incident", "log", OPEN, "instruction", "--text", "全力救援",
                          "--leader", "张振华", "--due", "2026-11-25"]),
    ("feedback to no entry", ["incident", "log", OPEN, "feedback", "--text", "已落实",
                              "--refers-to", "99"]),
    ("blank edit", ["incident", "edit", OPEN, "--summary", "  "]),
    ("negative casualties", ["incident", "edit", OPEN, "--deaths", "-1"]),
    ("report every zero", ["incident", "edit", OPEN, "--report-every", "0"]),
    ("swap with oneself", ["roster", "swap", "--date", "2026-11-26", "张振华", "张振华"]),
    ("swap a stranger", ["roster", "swap", "--date", "2026-11-26", "张三", "李四"]),
    ("swap across roles", ["roster", "swap", "--date", "2026-11-26", "孙丽", "韩冬"]),
    ("generate backwards", ["roster", "generate", "--from", "2026-12-10", "--to", "2026-12-01"]),
    ("generate two years", ["roster", "generate", "--from", "2026-01-01", "--to", "2027-12-01"]),
    ("half a cover", ["roster", "cover", "--date", "2026-11-26", "--for", "孙丽", "--by",
                      "王立新", "--from", "03:00"]),
    ("cover no shift", ["roster", "cover", "--date", "2030-11-26", "--for", "孙丽", "--by",
                        "王立新"]),
    ("special without a note", ["roster", "special", "--from", "2026-12-01", "--to",
                                "2026-12-03", "--note", " "]),
    ("acting for oneself", [*LEAVE[:5], "张振华", *LEAVE[6:], *WEEK]),
    ("nobody to act", [*LEAVE[:3], "无名", *LEAVE[4:], *WEEK]),
    ("leave backwards", [*LEAVE, "--from", "2026-11-29 08:00", "--to", "2026-11-28 08:00"]),
    ("leave type", [*LEAVE, *WEEK, "--type", "holiday"]),
    ("no leave registration", ["leave", "return", "999"]),
    ("bulletin issued unsigned", ["bulletin", "issue", "1"]),
    ("bulletin edit nothing", ["bulletin", "edit", "1"]),
    ("handover names blank", ["handover", "ack", "--names", " "]),
    ("export bad date", ["export", "daily", "--date", "2026-13-01"]),
    ("account role nothing", ["user", "role", "李晓明"]),
    ("account admin and auditor", ["user", "role", "李晓明", "--add", "auditor"]),
    # click's own usage errors, said from our catalogue (click ships no Chinese)
    ("unknown option", ["incident", "list", "--form", "json"]),
    ("unknown command", ["incidnt", "list"]),
    ("missing argument", ["roster", "swap", "--date", "2026-11-26"]),
    ("format not made", ["export", "daily", "--format", "pdf"]),
    ("option without its value", ["export", "daily", "--date"]),
]  # fmt: skip


@pytest.mark.parametrize(("what", "args"), FAILING, ids=[what for what, _ in FAILING])
def test_a_refused_command_says_why_in_chinese(zh: Run, what: str, args: list[str]) -> None:
    if args[0] == "bulletin":  # a draft to refuse: issued before it is signed
        code, _ = zh("bulletin", "draft", OPEN)
        assert code == 0
    code, err = zh(*args, lang="option" if len(what) % 2 else "environment")
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert code == 2, line
    assert line.startswith("dutydesk：错误："), line
    assert CJK.search(line.removeprefix("dutydesk：错误：")), line
    assert not english_left(line), (line, english_left(line))
    assert "Traceback" not in err


def test_a_roster_rule_broken_is_said_in_chinese(zh: Run, tmp_path: Path) -> None:
    # The rules' own words (rules/rotation.Problem) through rotation.* in the catalogue.
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "date,shift,position,name\n"
        "2026-12-10,night,duty_officer,黄雨婷\n"
        "2026-12-11,night,duty_officer,黄雨婷\n",
        encoding="utf-8",
    )
    code, err = zh("roster", "import", str(roster))
    line = err.strip()
    assert code == 2 and "\n" not in line, err
    assert "黄雨婷连值两个夜班（12月10日及次日）" in line, line
    assert not english_left(line), (line, english_left(line))


def test_a_key_file_missing_is_said_in_chinese(zh: Run, db_path: Path, demo_db: DemoDb) -> None:
    # Sealed values to miss the key of: the demo as an accredited desk keeps it (the
    # register-mode demo seals nothing, and a rotation over nothing sealed is fine).
    # Its key file is <db_path>.key on both stores (beside the file, DUTYDESK_KEY_FILE).
    demo_db(DEMO_MOMENT, accredited=True)
    for key in db_path.parent.glob(f"{db_path.name}.key*"):
        key.unlink()
    code, err = zh("key", "rotate")
    line = err.strip()
    assert code == 2 and "\n" not in line, err
    assert CJK.search(line) and not english_left(line), line


def test_a_bad_setting_is_said_in_chinese(zh: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    # The language is known before the settings that failed to load: the environment says it.
    monkeypatch.setenv("DUTYDESK_HANDOVER_TIME", "half past eight")
    code, err = zh("incident", "list", lang="environment")
    line = err.strip()
    assert code == 2 and "\n" not in line, err
    assert "handover_time" in line or "DUTYDESK_HANDOVER_TIME" in line, line
    assert CJK.search(line) and not english_left(line), line


def _one_chinese_line(code: int, err: str) -> str:
    line = err.strip()
    assert code == 2 and "\n" not in line, err
    assert line.startswith("dutydesk：错误："), line
    assert CJK.search(line.removeprefix("dutydesk：错误：")), line
    assert not english_left(line), (line, english_left(line))
    return line


def test_a_bad_rules_override_is_said_in_chinese(
    zh: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rule engine (rules/deadlines.py) refuses it; the CLI says it from error.rules.*.
    config = tmp_path / "config.toml"
    config.write_text("[rules.first_report_minutes]\nII = 500\n", encoding="utf-8")
    monkeypatch.setenv("DUTYDESK_CONFIG", str(config))
    code, err = zh("incident", "add", "--summary", "某地停电")
    line = _one_chinese_line(code, err)
    assert "first_report_minutes" in line and "Ⅱ级" in line, line


@pytest.mark.parametrize(
    "text",
    [
        '[2027]\nholidays = ["2027-02-30"]\n',
        '[2027]\nholidays = ["2028-01-01"]\n',
        '[2027]\nholidays = ["2027-02-08"]\nworkdays = ["2027-02-08"]\n',
        '[2027]\nrest = ["2027-02-08"]\n',
        "[next]\nholidays = []\n",
        '[2027]\nholidays = "2027-02-08"\n',
    ],
)
def test_a_bad_holidays_file_is_said_in_chinese(
    zh: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    holidays = tmp_path / "holidays.toml"
    holidays.write_text(text, encoding="utf-8")
    monkeypatch.setenv("DUTYDESK_HOLIDAYS_FILE", str(holidays))
    code, err = zh("incident", "add", "--summary", "某地停电")
    line = _one_chinese_line(code, err)
    assert "节假日" in line and str(holidays) in line, line


SCENARIOS = [
    ("no injects", 'title = "演练"\n'),
    ("no report", '[[inject]]\nkind = "severity"\nat = "1m"\nreport = "x"\nseverity = "I"\n'),
    ("unknown report", '[[inject]]\nid = "a"\nkind = "report"\nat = "1m"\nsummary = "某地起火"\n'
                       '[[inject]]\nkind = "severity"\nat = "2m"\nreport = "b"\nseverity = "I"\n'),
    ("before its report", '[[inject]]\nid = "a"\nkind = "report"\nat = "5m"\nsummary = "起火"\n'
                          '[[inject]]\nkind = "severity"\nat = "2m"\nreport = "a"\nseverity = "I"\n'),
    ("two ids", '[[inject]]\nid = "a"\nkind = "report"\nat = "1m"\nsummary = "起火"\n'
                '[[inject]]\nid = "a"\nkind = "report"\nat = "2m"\nsummary = "停电"\n'),
    ("target twice", '[[inject]]\nkind = "report"\nat = "1m"\nsummary = "起火"\n'
                     '[[target]]\nstep = "phone_report"\nwithin = "5m"\n'
                     '[[target]]\nstep = "phone_report"\nwithin = "9m"\n'),
    ("target unknown report", '[[inject]]\nid = "a"\nkind = "report"\nat = "1m"\nsummary = "起火"\n'
                              '[[inject]]\nid = "b"\nkind = "report"\nat = "1m"\nsummary = "停电"\n'
                              '[[target]]\nstep = "phone_report"\nwithin = "5m"\n'),
    ("not toml", "[[inject]\n"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "text"), SCENARIOS, ids=[what for what, _ in SCENARIOS])
def test_a_bad_drill_scenario_is_said_in_chinese(
    zh: Run, tmp_path: Path, what: str, text: str
) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text(text, encoding="utf-8")
    code, err = zh("drill", "start", str(scenario))
    line = _one_chinese_line(code, err)
    assert str(scenario) in line and "演练" in line, line


def test_a_trends_window_before_the_calendar_is_said_in_chinese(zh: Run) -> None:
    # Its baseline windows would start before year 1: once an unexpected OverflowError.
    code, err = zh("trends", "--from", "0001-01-02", "--to", "0001-01-03")
    _one_chinese_line(code, err)
    code, err = zh("trends", "--window", "month", "--to", "0001-03-03")
    _one_chinese_line(code, err)


def test_field_names_read_as_their_chinese_captions() -> None:
    from dutydesk.i18n import field_caption

    set_language("zh_CN")
    assert field_caption("summary") == "内容摘要"
    assert field_caption("occurred_at") == "事发时间"
    assert field_caption("deaths") == "死亡"
    set_language("en")
    assert field_caption("occurred_at") == "occurred_at"


# -- the catalogue -------------------------------------------------------------------------


def _error_keys_raised() -> set[str]:
    """Literal keys under ``error.`` passed to t() anywhere in the package."""
    root = Path(dutydesk.__file__).parent
    keys: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).startswith("error.")
            ):
                keys.add(str(node.args[0].value))
    return keys


def test_every_error_key_is_in_both_catalogues_with_the_same_placeholders() -> None:
    field = re.compile(r"\{(\w+)[^}]*\}")
    english, chinese = catalog("en"), catalog("zh_CN")
    raised = _error_keys_raised()
    assert len(raised) >= 60, "the services' refusals go through the catalogue"
    for key in sorted(raised):
        assert key in english and key in chinese, key
        assert set(field.findall(english[key])) == set(field.findall(chinese[key])), key
        assert CJK.search(chinese[key]), key
    # Every error text of the catalogue is used (a key left behind is a stale translation).
    declared = {key for key in english if key.startswith("error.")}
    assert declared <= raised


# -- list headers ------------------------------------------------------------------------

LISTS = [
    ["incident", "list"],
    ["roster", "show"],
    ["leave", "list"],
    ["bulletin", "list"],
    ["trends"],
    ["user", "list"],
]


@pytest.mark.parametrize("args", LISTS, ids=[" ".join(args) for args in LISTS])
def test_list_headers_are_chinese(
    zh: Run, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from dutydesk.cli.app import main

    code, _ = zh("bulletin", "draft", OPEN)  # one bulletin to list
    assert code == 0
    code = 0
    try:
        main(["--db", zh.db_arg, "--now", NOW, "--lang", "zh_CN", *args])  # type: ignore[attr-defined]
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        set_language("en")
    assert code == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert CJK.search(header), header
    assert not re.findall(r"\b[A-Za-z]{2,}\b", header), header
