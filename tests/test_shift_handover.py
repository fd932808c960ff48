"""A handover record at every change of shift, signed by 交班人, 接班人 and 带班领导 (issue 12)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dutydesk.config import Settings
from dutydesk.services.handover.shifts import (
    ShiftHandoverError,
    list_records,
    make_record,
    outgoing_shift,
    sign,
)
from dutydesk.storage.engine import Database
from dutydesk.vocab import ShiftKind
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.request_support import request
from tests.templates import DemoTemplates

S = Settings()


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    return demo_templates.load_into(db, DEMO_MOMENT)


def test_which_change_a_record_is_for() -> None:
    # 02:31: deep in the night shift, the record is for its end at 08:30.
    night = outgoing_shift(DEMO_MOMENT, S)
    assert (night.kind, night.end_at.astimezone(SHANGHAI).hour) == (ShiftKind.NIGHT, 8)
    # 09:10, just after taking over: still the change that began the day shift.
    after = outgoing_shift(DEMO_MOMENT.replace(hour=9, minute=10), S)
    assert after == night
    # 12:00: the day shift's own end is next.
    noon = outgoing_shift(DEMO_MOMENT.replace(hour=12), S)
    assert noon.kind is ShiftKind.DAY


def test_a_change_of_shift_is_recorded_once_and_signed_by_three(demo: Database) -> None:
    made = make_record(request(demo, now=DEMO_MOMENT, actor_name="黄雨婷"), S)
    again = make_record(request(demo, now=DEMO_MOMENT + timedelta(minutes=5)), S)
    assert again.id == made.id and made.missing == ("outgoing", "incoming", "leader")
    snapshot = json.loads(
        demo.read("SELECT snapshot FROM shift_handover WHERE id = :id", {"id": made.id})[0][0]
    )
    assert snapshot["open"] and snapshot["classified"]  # counted, never titled in clear
    secret_title = "省委办公厅密电：关于做好重大活动期间有关工作的通知"  # the demo's 机密 telegram
    assert secret_title not in json.dumps(snapshot, ensure_ascii=False)
    at = DEMO_MOMENT + timedelta(hours=6)
    # The outgoing night (孙丽 leading, 黄雨婷 on duty) hands over to the day (王立新, 钱磊).
    with pytest.raises(ShiftHandoverError, match="钱磊"):
        sign(demo, made.id, "outgoing", "钱磊", now=at, settings=S)  # on the incoming shift
    sign(demo, made.id, "outgoing", "黄雨婷", now=at, settings=S)
    with pytest.raises(ShiftHandoverError, match="黄雨婷"):
        sign(demo, made.id, "outgoing", "黄雨婷", now=at, settings=S)  # once
    sign(demo, made.id, "incoming", "钱磊", now=at, settings=S)
    with pytest.raises(ShiftHandoverError):
        sign(demo, made.id, "leader", "钱磊", now=at, settings=S)  # on duty, but not leading
    done = sign(demo, made.id, "leader", "王立新", now=at, settings=S)
    assert done.complete and done.signatures["leader"] == ("王立新", at)
    actions = [row[0] for row in demo.read("SELECT action FROM audit_event ORDER BY id")]
    assert "shift_handover.make" in actions
    assert actions[-3:] == [
        "shift_handover.sign.outgoing",
        "shift_handover.sign.incoming",
        "shift_handover.sign.leader",
    ]


def test_weekend_changes_of_shift_each_get_a_record(demo: Database) -> None:
    # Friday 17:30 to Monday 08:30 was one meeting pack; each change now has its own.
    friday = DEMO_MOMENT + timedelta(days=1, hours=16)  # Fri 27 Nov 18:31
    moments = [friday + timedelta(hours=12 * n) for n in range(6)]
    ids = {make_record(request(demo, now=m), S).id for m in moments}
    assert len(ids) == 6
    records = list_records(demo, friday - timedelta(hours=2), friday + timedelta(days=4))
    assert [r.shift_kind for r in records] == [ShiftKind.DAY, ShiftKind.NIGHT] * 3
    assert all(r.missing == ("outgoing", "incoming", "leader") for r in records)
