"""Roles gate writes too (issue 17 item 5): the three separated roles alone write no record.

The audit found an auditor-only account could register incidents and issue bulletins.
The desk's record is written by duty staff and leaders (``rules.access.DESK_ROLES``); the
system administrator, the security officer and the auditor read it (as their clearance
and need-to-know allow) and do their own acts, nothing else. The demo night: 马骏 1212 is
the security officer alone; 李晓明 1111 an administrator who is also a duty officer.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dutydesk.rules.access import may_write_record
from dutydesk.services.accounts.auth import authenticate
from dutydesk.services.accounts.users import NewAccount, add_user
from dutydesk.storage.engine import Database
from dutydesk.vocab import Role
from tests.conftest import DEMO_MOMENT, DemoDb
from tests.docs_support import run_cli

Run = Callable[..., tuple[int, str, str]]


def test_the_rule() -> None:
    assert not may_write_record({Role.AUDITOR}) and not may_write_record(set())
    assert not may_write_record({Role.ADMIN}) and not may_write_record({Role.SECURITY_OFFICER})
    assert may_write_record({Role.ADMIN, Role.DUTY_OFFICER}) and may_write_record({Role.LEADER})


@pytest.fixture
def demo_path(demo_db: DemoDb, db: Database) -> str:
    """The demo night on the pass's store, with an auditor; what ``--db`` takes."""
    path = demo_db(DEMO_MOMENT)
    officer = authenticate(db, "马骏", "1212", DEMO_MOMENT)
    add_user(db, officer, NewAccount("钱审计", "975310", roles=[Role.AUDITOR]), DEMO_MOMENT)
    db.close()
    return path


@pytest.fixture
def run(demo_path: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    def go(*args: str, who: tuple[str, str]) -> tuple[int, str, str]:
        monkeypatch.setenv("DUTYDESK_OPERATOR", who[0])
        monkeypatch.setenv("DUTYDESK_PIN", who[1])
        return run_cli(capsys, demo_path, *args)

    return go


ADD = ("incident", "add", "--summary", "某路口两车相撞")


@pytest.mark.parametrize("who", [("钱审计", "975310"), ("马骏", "1212")])
def test_the_cli_refuses_a_record_write_without_a_desk_role(run: Run, who: tuple[str, str]) -> None:
    for args in (ADD, ("incident", "log", "20261126-004", "note", "--text", "x"),
                 ("bulletin", "draft", "20261126-004")):  # fmt: skip
        code, out, err = run(*args, who=who)
        assert code == 3 and out == "", (args, err)
        assert f"{who[0]} holds no desk role" in err and len(err.strip().splitlines()) == 1
    code, out, err = run("incident", "list", who=who)  # reading stays open to them
    assert code == 0 and "20261126-004" in out, err


def test_the_cli_still_writes_for_duty_staff_and_the_auditor_audits(run: Run) -> None:
    code, out, err = run(*ADD, who=("李晓明", "1111"))  # administrator and duty officer
    assert code == 0, err
    code, out, err = run("audit", "list", "--format", "csv", who=("钱审计", "975310"))
    assert code == 0 and "account_added" in out, err
