"""零报告: in a special period (特殊时期) the desk reports daily, even when nothing happened.

A desk-level clock (issue 12): on every 值班日 the roster marks special, the day's report
to the superior is owed by ``[special_period] zero_report_at`` (16:00 by default), and
is late after it until it is recorded. Outside a special period nothing is owed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from dutydesk.config import Settings
from dutydesk.errors import ConfigError
from dutydesk.rules.deadlines import DeadlineRules, load_rules
from dutydesk.services.roster.changes import mark_special
from dutydesk.services.roster.daily_report import (
    DailyReportError,
    owed_report,
    record_report,
    report_state,
)
from dutydesk.storage.engine import Database
from tests.conftest import SHANGHAI
from tests.request_support import request

S = Settings()
RULES = load_rules()
DAY = date(2026, 12, 24)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def special(db: Database) -> Database:
    """24 and 25 December marked as a special period."""
    mark_special(
        request(db, now=at(20, 9), actor_name="李晓明"),
        DAY,
        date(2026, 12, 25),
        note="圣诞期间",
        settings=S,
    )
    return db


def test_the_hour_is_a_rule_with_its_default_and_override() -> None:
    assert RULES.zero_report_at == time(16, 0)
    later = load_rules(overrides={"special_period": {"zero_report_at": "17:30"}})
    assert later.zero_report_at == time(17, 30)
    with pytest.raises(ConfigError, match="zero_report_at"):
        load_rules(overrides={"special_period": {"zero_report_at": "25:00"}})


def test_a_special_day_without_a_report_is_late_after_the_hour(special: Database) -> None:
    before = owed_report(special, at(24, 15, 59), RULES)
    assert before is not None and before.day == DAY
    assert before.due_at == at(24, 16) and not before.late(at(24, 15, 59))
    after = owed_report(special, at(24, 16, 1), RULES)
    assert after is not None and after.late(at(24, 16, 1))
    # Still late at 02:00: the 值班日 runs to the next morning's change of shift.
    night = owed_report(special, at(25, 2), RULES)
    assert night is not None and night.day == DAY and night.late(at(25, 2))


def test_a_recorded_report_is_not_late(special: Database) -> None:
    made = record_report(
        request(special, now=at(24, 15, 40), actor_name="黄雨婷"), DAY, text="", nothing=True
    )
    assert made.made_by == "黄雨婷" and made.made_at == at(24, 15, 40) and made.zero
    state = owed_report(special, at(24, 18), RULES)
    assert state is not None and not state.late(at(24, 18)) and state.made_at is not None
    [(action, detail)] = special.read(
        "SELECT action, detail FROM audit_event WHERE object_type = 'daily_report'"
    )
    assert action == "daily_report.record" and "黄雨婷" in detail and "2026-12-24" in detail
    # Once per day: a second record is refused, in one line.
    with pytest.raises(DailyReportError, match="2026-12-24"):
        record_report(request(special, now=at(24, 16), actor_name="钱磊"), DAY, text="有情况")


def test_outside_a_special_period_nothing_is_owed(special: Database) -> None:
    assert owed_report(special, at(23, 18), RULES) is None  # the day before it
    assert report_state(special, date(2026, 12, 26), RULES) is None  # the day after
    with pytest.raises(DailyReportError, match="special period"):
        record_report(request(special, now=at(23, 18)), date(2026, 12, 23), text="", nothing=True)


def test_no_hour_configured_means_no_clock(special: Database) -> None:
    rules = DeadlineRules(
        phone_report={}, first_report={}, continued_report={}, feedback=RULES.feedback
    )
    assert owed_report(special, at(24, 18), rules) is None


def test_the_handover_pack_says_whether_the_days_report_was_made(special: Database) -> None:
    from dutydesk.reports.handover import render_text
    from dutydesk.services.handover.pack import build_pack

    record_report(
        request(special, now=at(24, 15, 40), actor_name="黄雨婷"), DAY, text="", nothing=True
    )
    # The 08:30 meeting on the 26th: the 24th's 零报告 was made, the 25th's was not.
    moment = at(26, 8, 30)
    pack = build_pack(request(special, now=moment), start=at(24, 8, 30), at=moment, settings=S)
    assert [(r.day, r.made_by) for r in pack.daily_reports] == [
        (DAY, "黄雨婷"),
        (date(2026, 12, 25), ""),
    ]
    text = render_text(pack, SHANGHAI)
    assert (
        "Special period daily report of 2026-12-24 (due 12-24 16:00): "
        "zero report made, 黄雨婷, 12-24 15:40" in text
    )
    assert "Special period daily report of 2026-12-25 (due 12-25 16:00): NOT made, late" in text
    # Outside a special period the pack says nothing about it.
    later = at(27, 12)
    quiet = build_pack(request(special, now=later), start=at(27, 8, 30), at=later, settings=S)
    assert quiet.daily_reports == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [('"17:30"', time(17, 30)), ('"5pm"', None), ("16", None), ('"24:00"', None)],
)
def test_the_config_file_sets_the_hour_or_says_in_one_line_why_not(
    tmp_path: Path, value: str, expected: time | None
) -> None:
    from dutydesk.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text(f"[rules.special_period]\nzero_report_at = {value}\n", encoding="utf-8")
    if expected is None:
        with pytest.raises(ConfigError, match='zero_report_at: expected a time "HH:MM"'):
            load_rules(overrides=load_settings(config, environ={}).rules)
        return
    assert load_rules(overrides=load_settings(config, environ={}).rules).zero_report_at == expected
