"""Need-to-know from the shell: every demo operator, every reading command, two canaries.

The demo night holds a 机密 (secret) and a 秘密 (confidential) incident: register entries
with no content, as the default deployment keeps them, so this matrix runs on the demo as
an accredited desk holds it (``accredited=True``: their titles typed in, sealed). Each demo
operator signs in with their PIN and asks every reading command for output at their own
clearance; a canary phrase of each incident must appear exactly where the operator is
cleared for it AND named in its 知悉范围 (issue 13: a level alone opens nothing), and
nowhere without ``--clearance``. Writes need a signed-in operator
too: a name alone, a wrong PIN or a sign-off in someone else's name is refused in one line.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

import pytest

from dutydesk.cli.app import main
from dutydesk.storage.engine import Database
from tests.conftest import DEMO_MOMENT
from tests.templates import DemoTemplates

NOW = "2026-11-26T02:31+08:00"
SECRET = ("20261125-012", "重大活动期间有关工作", "secret")  # 机密
CONFIDENTIAL = ("20261126-001", "博览会期间安保", "confidential")  # 秘密

OPERATORS = {  # name: (PIN, clearance, roles) as in data/demo/night.toml
    "张振华": ("888888", "secret", "duty leader, leader"),
    "王立新": ("777777", "secret", "duty leader"),
    "孙丽": ("333333", "secret", "duty leader"),
    # 三员分立 (issue 13): the system administrator holds no clearance any more.
    "李晓明": ("1111", "internal", "duty officer, administrator"),
    "赵静": ("222222", "confidential", "duty officer"),
    "黄雨婷": ("4444", "internal", "duty officer"),
    "许文博": ("5555", "internal", "information officer, auditor"),
    "韩冬": ("666666", "top_secret", "confidential officer"),
    "马骏": ("1212", "internal", "security officer"),
}
NAMED = {"孙丽", "韩冬"}
"""Named in both telegrams' 知悉范围 (night.toml): the duty leader they were reported to
(孙丽, on the night shift) and the 机要局 by unit (韩冬). 张振华 and 王立新 are cleared to
机密 but not named: they see the serial only."""
LEVEL = {"internal": 1, "confidential": 2, "secret": 3, "top_secret": 4}

BOTH = (SECRET, CONFIDENTIAL)
READS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]] = {
    # command: (arguments, the classified incidents its output covers)
    "incident list": (("incident", "list", "--all", "--format", "json"), BOTH),
    "incident show 机密": (("incident", "show", SECRET[0], "--format", "json"), (SECRET,)),
    "incident show 秘密": (
        ("incident", "show", CONFIDENTIAL[0], "--format", "json"),
        (CONFIDENTIAL,),
    ),
    # The 25th's 值班日 runs to 08:30 on the 26th: the telegram of 00:31 is in it too.
    "export daily 11-25": (
        ("export", "daily", "--date", "2026-11-25", "--format", "json"),
        BOTH,
    ),
    "export daily 11-26 calendar day": (
        ("export", "daily", "--date", "2026-11-26", "--calendar-day", "--format", "json"),
        (CONFIDENTIAL,),
    ),
    "handover": (("handover", "--preview", "--format", "json"), BOTH),
}

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def demo_db(demo_templates: DemoTemplates, db: Database) -> Database:
    """A fresh copy of the demo (with its key file) per test: lockouts do not carry over.

    Its telegrams hold sealed content (the accredited deployment's), the canaries below.
    On the test's own store: a SQLite file, or PostgreSQL in the second pass (issue 15).
    """
    return demo_templates.load_into(db, DEMO_MOMENT, accredited=True)


def records(database: Database) -> list[object]:
    """Everything a write could add, leaving out the audit of sign-in attempts."""
    return [
        database.read(f"SELECT count(*) FROM {table}")[0][0]  # noqa: S608 - table names from the literal tuple below
        for table in ("timeline_entry", "bulletin", "leave_registration", "assignment",
                      "shift", "handover", "incident")
    ] + database.read(
        "SELECT action, count(*) FROM audit_event WHERE action NOT LIKE 'sign_in%' "
        "AND action != 'account_locked' GROUP BY action ORDER BY action"
    )  # fmt: skip


@pytest.fixture
def run(
    demo_db: Database,
    db_arg: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    def go(*args: str, operator: str | None = None, pin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        for name, value in (("DUTYDESK_OPERATOR", operator), ("DUTYDESK_PIN", pin)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        capsys.readouterr()
        try:
            main(["--db", db_arg, "--now", NOW, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return go


@pytest.mark.parametrize("operator", sorted(OPERATORS))
@pytest.mark.parametrize("command", sorted(READS))
def test_each_operator_sees_exactly_what_they_are_cleared_for(
    run: Run, operator: str, command: str
) -> None:
    pin, clearance, _ = OPERATORS[operator]
    args, covered = READS[command]
    code, out, err = run(*args, "--clearance", clearance, operator=operator, pin=pin)
    assert code == 0, err
    for serial, canary, level in covered:
        assert serial in out  # the incident is there, restricted or not
        opens = LEVEL[clearance] >= LEVEL[level] and operator in NAMED
        assert (canary in out) == opens, (operator, command)
        assert canary not in err
    # and the same command without --clearance shows neither canary, whoever asks
    code, out, err = run(*args, operator=operator, pin=pin)
    assert code == 0, err
    assert SECRET[1] not in out and CONFIDENTIAL[1] not in out


@pytest.mark.parametrize("command", sorted(READS))
def test_reading_needs_a_signed_in_operator(run: Run, command: str) -> None:
    args = READS[command][0]
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, out, err = run(*args, operator="韩冬", pin="0000")
    assert code != 0 and out == "" and SECRET[1] not in err
    assert "Traceback" not in err


def test_clearance_beyond_the_operators_own_is_refused(run: Run) -> None:
    code, out, err = run(
        "incident", "show", SECRET[0], "--clearance", "secret", operator="赵静", pin="222222"
    )
    assert code == 2 and out == "" and SECRET[1] not in err
    assert "not cleared to secret" in err


WRITES: dict[str, tuple[str, ...]] = {
    "incident log": ("incident", "log", "20261126-004", "note", "--text", "x"),
    "roster swap": (
        "roster",
        "swap",
        "--date",
        "2026-11-27",
        "--shift",
        "night",
        "李晓明",
        "--with-date",
        "2026-11-28",
        "赵静",
    ),
    "roster special": ("roster", "special", "--from", "2026-12-01", "--to", "2026-12-02"),
    "leave add": (
        "leave",
        "add",
        "--leader",
        "周文斌",
        "--from",
        "2026-12-01T08:00",
        "--to",
        "2026-12-02T18:00",
        "--acting",
        "陈志强",
    ),
    "bulletin draft": ("bulletin", "draft", "20261126-004"),
    "handover ack": ("handover", "ack", "--names", "张三"),
}


@pytest.mark.parametrize("command", sorted(WRITES))
def test_a_name_without_the_pin_writes_nothing(run: Run, demo_db: Database, command: str) -> None:
    before = records(demo_db)
    code, out, err = run(*WRITES[command], operator="李晓明")  # no DUTYDESK_PIN, no terminal
    assert code == 2 and out == "", err
    assert len(err.strip().splitlines()) <= 2 and "Traceback" not in err  # + getpass's warning
    code, out, err = run(*WRITES[command], operator="李晓明", pin="9999")
    assert code != 0 and out == "" and "Traceback" not in err
    assert records(demo_db) == before


def test_a_sign_off_is_the_signers_own_act(run: Run) -> None:
    code, out, err = run("bulletin", "draft", "20261126-004", operator="李晓明", pin="1111")
    assert code == 0, err
    bulletin = out.strip()
    assert run("bulletin", "review", bulletin, operator="李晓明", pin="1111")[0] == 0
    code, out, err = run(
        "bulletin", "sign", bulletin, "--by", "王立新", operator="李晓明", pin="1111"
    )
    assert code == 2 and "王立新" in err and "Traceback" not in err
    code, out, err = run("bulletin", "sign", bulletin, operator="王立新", pin="777777")
    assert code == 0, err
    assert "王立新" in err


def test_a_script_without_a_pin_is_refused_and_its_data_not_taken_for_one(
    demo_db: Database, db_arg: str
) -> None:
    """No DUTYDESK_PIN and no terminal (a cron job): refused before reading stdin.

    getpass would otherwise read the PIN from standard input, i.e. the first line of the
    JSON, count it as a wrong PIN, and five such runs would lock the account.
    """
    import os
    import subprocess

    env = {**os.environ, "DUTYDESK_OPERATOR": "李晓明", "DUTYDESK_LANG": "en"}
    env.pop("DUTYDESK_PIN", None)
    for _ in range(6):
        done = subprocess.run(
            [sys.executable, "-m", "dutydesk", "--db", db_arg, "--now", NOW,
             "incident", "add", "--json", "-"],
            input='[{"summary": "幸福路口一辆货车侧翻"}]'.encode(),
            capture_output=True, env=env, start_new_session=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2 and done.stdout == b""
        assert b"DUTYDESK_PIN" in done.stderr and b"Traceback" not in done.stderr
    failed = demo_db.read(
        "SELECT count(*) FROM audit_event WHERE action IN ('sign_in_failed', 'account_locked')"
    )
    assert failed == [(0,)]  # not one wrong try counted: the account is not locked


def test_the_security_officer_names_a_reader_and_only_then_it_opens(run: Run) -> None:
    """Issue 13: `incident readers` is the security officer's; naming opens, a role does not."""
    show = ("incident", "show", SECRET[0], "--clearance", "secret")
    code, out, err = run(*show, operator="王立新", pin="777777")
    assert code == 0 and SECRET[1] not in out and "知悉范围" not in out  # cleared, not named
    for name, pin in (("王立新", "777777"), ("李晓明", "1111"), ("许文博", "5555")):
        code, out, err = run("incident", "readers", SECRET[0], "--add", name,
                             operator=name, pin=pin)  # fmt: skip
        assert code == 3 and "security officer" in err and "Traceback" not in err, name
    code, out, err = run(
        "incident", "readers", SECRET[0], "--add", "马骏", operator="马骏", pin="1212"
    )
    assert code == 2 and len(err.strip().splitlines()) == 1  # never themselves
    code, out, err = run(
        "incident", "readers", SECRET[0], "--add", "王立新", operator="马骏", pin="1212"
    )
    assert code == 0 and "王立新" in out and "孙丽" in out and SECRET[1] not in out + err
    code, out, err = run(*show, operator="王立新", pin="777777")
    assert code == 0 and SECRET[1] in out
    assert "知悉范围" in out and "王立新" in out.split("知悉范围")[1]
