"""No administrator can take over an account cleared above them, or an auditor's (issue 17).

The audit found that an administrator (who holds no clearance under 三员分立) could reset
the PIN of the 绝密 confidential officer or of an auditor, or add an auditor, and then
sign in as them. These accounts are now the security officer's to change, or their
owner's; and any reset makes the owner choose their own PIN at the next sign-in, told
who reset it and when, so whoever chose the PIN can no longer use it.

The demo night's people: 李晓明 1111 (administrator, internal), 马骏 1212 (security
officer), 许文博 5555 (auditor), 韩冬 666666 (confidential officer, 绝密), 黄雨婷 4444
(duty officer, internal).
"""

from __future__ import annotations

import pytest

from dutydesk.services.accounts.audit import AccessDenied, list_events
from dutydesk.services.accounts.auth import AuthError, NewPinRequired, authenticate
from dutydesk.services.accounts.users import NewAccount, add_user, change_roles, set_active, set_pin
from dutydesk.storage.engine import Database
from dutydesk.vocab import Role
from tests.conftest import DEMO_MOMENT, DemoDb
from tests.docs_support import run_cli
from tests.templates import DemoTemplates

NOW = DEMO_MOMENT


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    """The demo night, with its operators and their PINs."""
    return demo_templates.load_into(db, NOW)


def test_the_administrator_cannot_take_over_a_protected_account(demo: Database) -> None:
    admin = authenticate(demo, "李晓明", "1111", NOW)
    for name in ("韩冬", "许文博", "马骏"):  # 绝密; an auditor; the security officer
        with pytest.raises(AccessDenied, match=f"only {name} or the security officer"):
            set_pin(demo, admin, name, "135790", NOW)
        with pytest.raises(AccessDenied, match="security officer"):
            change_roles(demo, admin, name, NOW, add=[Role.DUTY_LEADER])
    with pytest.raises(AccessDenied, match="security officer"):  # a new auditor
        add_user(demo, admin, NewAccount("钱审计", "246810", roles=[Role.AUDITOR]), NOW)
    with pytest.raises(AccessDenied, match="security officer"):  # auditing made an extra role
        change_roles(demo, admin, "黄雨婷", NOW, add=[Role.AUDITOR])
    # Disabling grants nothing and stays the administrator's; enabling again does not.
    set_active(demo, admin, "韩冬", False, NOW)
    with pytest.raises(AccessDenied, match="security officer"):
        set_active(demo, admin, "韩冬", True, NOW)
    # None of it happened: 韩冬's own PIN still signs in, once enabled by the officer.
    officer = authenticate(demo, "马骏", "1212", NOW)
    set_active(demo, officer, "韩冬", True, NOW)
    assert authenticate(demo, "韩冬", "666666", NOW).name == "韩冬"


def test_a_reset_pin_must_be_replaced_by_its_owner_who_is_told(demo: Database) -> None:
    officer = authenticate(demo, "马骏", "1212", NOW)
    set_pin(demo, officer, "韩冬", "135790", NOW)  # the security officer's act
    with pytest.raises(NewPinRequired, match=r"reset by 马骏 at 11-26 02:31"):
        authenticate(demo, "韩冬", "135790", NOW)
    with pytest.raises(AuthError, match="wrong PIN"):  # the old PIN is gone
        authenticate(demo, "韩冬", "666666", NOW)
    with pytest.raises(AuthError, match="other than the one you were given"):
        authenticate(demo, "韩冬", "135790", NOW, new_pin="135790")
    with pytest.raises(AuthError, match="at least"):
        authenticate(demo, "韩冬", "135790", NOW, new_pin="1")
    owner = authenticate(demo, "韩冬", "135790", NOW, new_pin="864200")
    assert owner.name == "韩冬"
    assert authenticate(demo, "韩冬", "864200", NOW).name == "韩冬"  # no reset pending now
    with pytest.raises(AuthError, match="wrong PIN"):  # the PIN the officer chose is gone
        authenticate(demo, "韩冬", "135790", NOW)
    auditor = authenticate(demo, "许文博", "5555", NOW)
    actions = [(e.action, e.actor) for e in list_events(demo, auditor)]
    assert ("pin_reset", "马骏") in actions and ("pin_changed", "韩冬") in actions


def test_an_ordinary_reset_by_the_administrator_is_also_replaced(demo: Database) -> None:
    admin = authenticate(demo, "李晓明", "1111", NOW)
    set_pin(demo, admin, "黄雨婷", "975310", NOW)
    with pytest.raises(NewPinRequired, match="reset by 李晓明"):
        authenticate(demo, "黄雨婷", "975310", NOW)
    # Changing one's own PIN is never a reset.
    authenticate(demo, "黄雨婷", "975310", NOW, new_pin="4444")
    own = authenticate(demo, "黄雨婷", "4444", NOW)
    set_pin(demo, own, "黄雨婷", "8888", NOW)
    assert authenticate(demo, "黄雨婷", "8888", NOW).name == "黄雨婷"


def _cli(db_path: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         *args: str, pin: str, new_pin: str | None = None) -> tuple[int, str]:  # fmt: skip
    monkeypatch.setenv("DUTYDESK_PIN", pin)
    if new_pin is None:
        monkeypatch.delenv("DUTYDESK_NEW_PIN", raising=False)
    else:
        monkeypatch.setenv("DUTYDESK_NEW_PIN", new_pin)
    code, _, err = run_cli(capsys, db_path, *args)
    return code, err


def test_cli_refuses_the_takeover_and_walks_the_owner_through_a_reset(
    demo_db: DemoDb, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = demo_db(NOW)  # on the pass's store

    def run(*args: str, pin: str, new_pin: str | None = None) -> tuple[int, str]:
        return _cli(path, monkeypatch, capsys, *args, pin=pin, new_pin=new_pin)

    code, err = run("user", "passwd", "韩冬", "--operator", "李晓明", pin="1111", new_pin="135790")
    assert code == 3 and "only 韩冬 or the security officer" in err
    assert len(err.strip().splitlines()) == 1
    code, err = run("user", "passwd", "韩冬", "--operator", "马骏", pin="1212", new_pin="135790")
    assert code == 0, err
    code, err = run("incident", "list", "--operator", "韩冬", pin="135790")
    assert code == 3 and "reset by 马骏 at 11-26 02:31" in err
    assert "dutydesk user passwd 韩冬 --operator 韩冬" in err
    assert len(err.strip().splitlines()) == 1
    code, err = run("user", "passwd", "韩冬", "--operator", "韩冬", pin="135790", new_pin="864200")
    assert code == 0 and "New PIN set for 韩冬" in err
    assert run("incident", "list", "--operator", "韩冬", pin="864200")[0] == 0
