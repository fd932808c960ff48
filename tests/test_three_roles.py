"""三员分立 and the 知悉范围 (issue 13): each of the three roles refused the others' acts.

The system administrator keeps accounts and holds no clearance; the security officer
(安全保密管理员) grants clearances and names who needs to know an item, and reads no
content by it; the auditor reads the audit trail. Nobody holds two of the three.
"""

from __future__ import annotations

import pytest

from dutydesk.services.accounts.audit import AccessDenied, list_events
from dutydesk.services.accounts.auth import Operator, authenticate
from dutydesk.services.accounts.users import (
    AccountError,
    NewAccount,
    add_user,
    change_roles,
    init_admin,
    list_users,
    set_clearance,
)
from dutydesk.services.incidents import timeline
from dutydesk.services.incidents.readers import ReadersError, change_readers, list_readers
from dutydesk.storage.engine import Database
from dutydesk.vocab import Classification, Role
from tests.conftest import DEMO_MOMENT
from tests.test_classified import CANARY, _incident

NOW = DEMO_MOMENT
SECRET = Classification.SECRET


@pytest.fixture
def three(db: Database) -> tuple[Operator, Operator, Operator]:
    """The administrator, the security officer and the auditor, three people."""
    admin = init_admin(db, "赵管理", "2468", NOW, clearance="internal")
    add_user(db, admin, NewAccount("马保密", "1357", roles=[Role.SECURITY_OFFICER]), NOW)
    officer = authenticate(db, "马保密", "1357", NOW)
    # Auditors are the security officer's to add (issue 17), the first one included.
    add_user(db, officer, NewAccount("钱审计", "9753", roles=[Role.AUDITOR]), NOW)
    auditor = authenticate(db, "钱审计", "9753", NOW)
    return admin, officer, auditor


def test_nobody_holds_two_of_the_three(db: Database, three: tuple[Operator, ...]) -> None:
    admin, _, _ = three
    for pair in (
        [Role.ADMIN, Role.SECURITY_OFFICER],
        [Role.SECURITY_OFFICER, Role.AUDITOR],
        [Role.ADMIN, Role.AUDITOR],
    ):
        with pytest.raises(AccountError, match="two of"):
            add_user(db, admin, NewAccount("兼职", "1234", roles=pair), NOW)
    with pytest.raises(AccountError, match="two of"):
        change_roles(db, admin, "马保密", NOW, add=[Role.AUDITOR])
    with pytest.raises(AccountError, match="two of"):
        change_roles(db, admin, "钱审计", NOW, add=[Role.SECURITY_OFFICER])
    with pytest.raises(AccountError, match="two of"):
        change_roles(db, admin, "赵管理", NOW, add=[Role.SECURITY_OFFICER])


def test_each_role_is_refused_the_others_acts(db: Database, three: tuple[Operator, ...]) -> None:
    admin, officer, auditor = three
    add_user(db, admin, NewAccount("孙丽", "1111", roles=[Role.DUTY_OFFICER]), NOW)
    # the administrator: accounts yes, clearances and the audit trail no
    with pytest.raises(AccessDenied, match="security officer"):
        set_clearance(db, admin, "孙丽", SECRET, NOW)
    with pytest.raises(AccessDenied):
        list_events(db, admin)
    # the security officer: clearances yes, accounts and the audit trail no
    set_clearance(db, officer, "孙丽", SECRET, NOW)
    with pytest.raises(AccessDenied):
        add_user(db, officer, NewAccount("新人", "1234", roles=[]), NOW)
    add_user(db, admin, NewAccount("周平", "2222", roles=[Role.DUTY_OFFICER]), NOW)
    with pytest.raises(AccessDenied, match="only an administrator"):
        change_roles(db, officer, "周平", NOW, add=[Role.DUTY_LEADER])
    with pytest.raises(AccessDenied):
        list_events(db, officer)
    # 孙丽 is now cleared above the administrator: her account is the security officer's
    # (or her own) to change, so the administrator cannot take it over (issue 17).
    with pytest.raises(AccessDenied, match="only 孙丽 or the security officer"):
        change_roles(db, admin, "孙丽", NOW, add=[Role.DUTY_LEADER])
    change_roles(db, officer, "孙丽", NOW, add=[Role.DUTY_LEADER])
    # the auditor: the audit trail yes, accounts and clearances no
    actions = [event.action for event in list_events(db, auditor)]
    assert "clearance_set" in actions
    with pytest.raises(AccessDenied):
        add_user(db, auditor, NewAccount("新人", "1234", roles=[]), NOW)
    with pytest.raises(AccessDenied):
        set_clearance(db, auditor, "孙丽", SECRET, NOW)
    rows = {row.name: row for row in list_users(db, officer)}
    assert (rows["孙丽"].clearance, rows["孙丽"].category) == ("secret", "重要")


def test_the_administrator_holds_no_clearance_and_nobody_clears_themselves(
    db: Database, three: tuple[Operator, ...]
) -> None:
    admin, officer, _ = three
    with pytest.raises(AccountError, match="holds no clearance"):
        set_clearance(db, officer, "赵管理", Classification.CONFIDENTIAL, NOW)
    with pytest.raises(AccountError, match="own"):
        set_clearance(db, officer, "马保密", Classification.TOP_SECRET, NOW)
    add_user(db, admin, NewAccount("孙丽", "1111", roles=[Role.DUTY_OFFICER]), NOW)
    set_clearance(db, officer, "孙丽", Classification.CONFIDENTIAL, NOW)
    with pytest.raises(AccountError, match="holds no clearance"):  # made admin while cleared
        change_roles(db, admin, "孙丽", NOW, add=[Role.ADMIN])


def test_need_to_know_is_the_security_officers_and_opens_only_to_the_named_and_cleared(
    db: Database, three: tuple[Operator, ...]
) -> None:
    admin, officer, auditor = three
    secret = _incident(db, "secret", f"标题{CANARY}", f"据报{CANARY}")  # names 张三 at intake
    assert secret.id is not None
    set_clearance(db, officer, "李四", SECRET, NOW)
    set_clearance(db, officer, "张三", Classification.INTERNAL, NOW)

    def opens(who: str, clearance: Classification) -> bool:
        detail = timeline.fetch_detail(db, secret.id, clearance, viewer=who)  # type: ignore[arg-type]
        return detail is not None and not detail.restricted

    # the matrix: named/unnamed x cleared/not cleared
    assert not opens("张三", Classification.INTERNAL)  # named, not cleared
    assert not opens("李四", SECRET)  # cleared, not named
    for who in (admin, auditor):
        with pytest.raises(AccessDenied, match="security officer"):
            change_readers(db, who, secret.serial, NOW, add=["李四"])
    with pytest.raises(ReadersError, match="own"):
        change_readers(db, officer, secret.serial, NOW, add=["马保密"])
    with pytest.raises(ReadersError, match="no person or unit"):
        change_readers(db, officer, secret.serial, NOW, add=["无此人"])
    change_readers(db, officer, secret.serial, NOW, add=["信息科"], remove=["张三"])
    assert [(r.name, r.is_unit) for r in list_readers(db, secret.serial)] == [("信息科", True)]
    assert opens("李四", SECRET)  # cleared and named by unit
    assert not opens("马保密", Classification.TOP_SECRET)  # the officer reads nothing by it
    events = [e for e in list_events(db, auditor) if e.action == "need_to_know_changed"]
    assert events and CANARY not in events[0].detail
