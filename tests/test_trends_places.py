"""Trends as an office counts places and reads sources (issue 12, "Trends").

Places roll up: an incident in a town counts under its district (county) too, and a city
named before the district does not hide it. An online source (网络（抖音、微博）) is not a
place. Key phrases come from the public's calls, letters, visits and messages, and from
网络舆情 and 基层报送.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from dutydesk.rules.phrases import place_keys
from dutydesk.rules.trends import Dimension, location_key
from dutydesk.services.trends import trend_report
from dutydesk.storage.engine import Database
from tests.request_support import request
from tests.trends_support import NOW, SHANGHAI, _row

WEEK = timedelta(days=7)


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("临川市东湖区阳光花园小区3栋", ("东湖区",)),
        ("东湖区阳光花园小区3栋", ("东湖区",)),
        ("白石县高坪镇省道S220 K47处", ("白石县", "白石县高坪镇")),
        ("临川市白石县高坪镇", ("白石县", "白石县高坪镇")),
        ("青山县石门镇黄竹村后山", ("青山县", "青山县石门镇")),
        ("网络（抖音、微博）", ()),
        ("微信群", ()),
        ("https://weibo.com/123", ()),
        ("市委大门口", ("市委大门口",)),
        ("", ()),
    ],
)
def test_places_roll_up_from_town_to_district(typed: str, keys: tuple[str, ...]) -> None:
    assert place_keys(typed) == keys
    assert location_key(typed) == (keys[0] if keys else "")


def _seed(db: Database, rows: list[dict[str, Any]]) -> None:
    from dutydesk.storage.models import Incident

    with db.session() as session:
        for values in rows:
            session.add(Incident(**values))


def _incident(serial_no: int, received: datetime, **fields: Any) -> dict[str, Any]:
    serial = f"{received.astimezone(SHANGHAI):%Y%m%d}-{serial_no:03d}"
    return _row(serial, received, **fields)


def _weeks(db: Database, recent: list[dict[str, Any]]) -> None:
    """Eight quiet weeks (one traffic accident on 西江区滨江路 each) and ``recent``."""
    quiet = [
        _incident(
            900 + week,
            NOW - week * WEEK - timedelta(days=1),
            location="西江区滨江路",
            category="accident",
            channel="phone",
            summary="滨江路两车相撞，无人员伤亡。",
        )
        for week in range(1, 9)
    ]
    _seed(db, quiet + recent)


def test_town_incidents_count_under_the_district_too(db: Database) -> None:
    recent = [
        _incident(1, NOW - timedelta(hours=5), location="白石县高坪镇省道S220 K47处"),
        _incident(2, NOW - timedelta(hours=6), location="临川市白石县高坪镇中心小学"),
        _incident(3, NOW - timedelta(hours=7), location="白石县城东幼儿园"),
        _incident(4, NOW - timedelta(hours=8), location="临川市东湖区幸福路12号"),
        _incident(5, NOW - timedelta(hours=9), location="网络（抖音、微博）"),
    ]
    _weeks(db, recent)
    report = trend_report(request(db, now=NOW), end=NOW, length=WEEK, window="week")
    rows = {row.key: row.count for row in report.dimension(Dimension.LOCATION).rows}
    assert rows["白石县"] == 3
    assert rows["白石县高坪镇"] == 2
    assert rows["东湖区"] == 1
    assert "临川市" not in rows
    assert not any("网络" in key for key in rows)
    assert rows[""] == 1  # the online source: no place given
    order = [row.key for row in report.dimension(Dimension.LOCATION).rows]
    assert order.index("白石县高坪镇") == order.index("白石县") + 1  # the town under its county


def test_wage_arrears_in_a_town_flag_the_town(db: Database) -> None:
    """Five wage-arrears visits in 高坪镇 this week, one a week before: one candidate."""
    history = [
        _incident(
            800 + week,
            NOW - week * WEEK - timedelta(days=2),
            location="白石县高坪镇",
            category="public_request",
            channel="walk_in",
            summary="农民工反映工程款拖欠，工资未结清。",
        )
        for week in range(1, 9)
    ]
    recent = [
        _incident(
            n,
            NOW - timedelta(hours=10 * n),
            location=f"临川市白石县高坪镇工地{n}号",
            category="public_request",
            channel="walk_in",
            summary=f"{n}名农民工来访反映讨要欠薪，工资拖欠三个月。",
        )
        for n in range(1, 6)
    ]
    _weeks(db, history + recent)
    report = trend_report(request(db, now=NOW), end=NOW, length=WEEK, window="week")
    places = [c for c in report.candidates if c.kind == "place"]
    assert [c.location for c in places] == ["白石县高坪镇"]  # not twice, county and town
    assert places[0].count == 5 and places[0].ratio == pytest.approx(5.0)


@pytest.mark.parametrize("channel", ["grassroots", "online_opinion"])
def test_grassroots_and_online_reports_feed_key_phrases(db: Database, channel: str) -> None:
    recent = [
        _incident(
            n,
            NOW - timedelta(hours=3 * n),
            location=["东湖区", "西江区", "青山县", "云溪县", "白石县"][n - 1],
            category="other",
            channel=channel,
            summary=f"据报，第{n}处加油站排长队，群众担心成品油断供。",
        )
        for n in range(1, 6)
    ]
    _weeks(db, recent)
    report = trend_report(request(db, now=NOW), end=NOW, length=WEEK, window="week")
    phrases = [c for c in report.candidates if c.kind == "phrase"]
    assert any("断供" in c.phrase or "加油站" in c.phrase for c in phrases)


# -- the weekly report: a natural week of duty days ------------------------------------------


def test_duty_day_and_natural_week() -> None:
    from datetime import date, time

    from dutydesk.rules.dates import duty_day_of, week_of, week_window

    shift = time(8, 30)
    assert duty_day_of(NOW, SHANGHAI, shift) == date(2026, 11, 25)  # 02:31: still the 25th
    assert duty_day_of(NOW.replace(hour=8, minute=30), SHANGHAI, shift) == date(2026, 11, 26)
    assert week_of(date(2026, 11, 29))[0] == date(2026, 11, 23)  # Sunday -> its Monday
    start, end = week_window(date(2026, 11, 23), SHANGHAI, shift)
    assert start == datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)
    assert end == datetime(2026, 11, 30, 8, 30, tzinfo=SHANGHAI)


def test_weekly_report_covers_a_natural_week_of_duty_days(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: the weekly report counts Monday to Sunday by 值班日, not the last 7 x 24 h."""
    from tests.docs_support import run_cli

    database = db
    sunday_night = datetime(2026, 11, 23, 2, 0, tzinfo=SHANGHAI)  # Monday 02:00: Sunday's
    _seed(database, [_incident(1, sunday_night, location="东湖区", category="accident")])
    monkeypatch.delenv("DUTYDESK_OPERATOR", raising=False)
    monkeypatch.setenv("DUTYDESK_DAY_SHIFT_START", "08:30")
    code, out, err = run_cli(capsys, db_arg, "--lang", "en", "report", "weekly")
    assert code == 0, err
    assert "Week: 2026-11-16 08:30 +08:00 to 2026-11-23 08:30 +08:00" in out  # the last whole week
    assert "This week: 1 incidents received" in out  # Sunday's night shift belongs to it
    code, out, err = run_cli(
        capsys, db_arg, "--lang", "en", "report", "weekly", "--at", "2026-11-26"
    )
    assert code == 0, err
    assert "Week: 2026-11-23 08:30 +08:00 to 2026-11-30 08:30 +08:00" in out
    assert "This week: 0 incidents received." in out


def test_weekly_report_says_clearly_more_with_percentages_and_no_p(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leader-facing: "明显增多" and 环比 in percent; p-values only in `trends emerging`."""
    from tests.docs_support import run_cli

    database = db
    recent = [
        _incident(
            n,
            NOW - timedelta(hours=10 * n),
            location="白石县高坪镇",
            category="public_request",
            channel="walk_in",
            summary="农民工来访反映欠薪。",
        )
        for n in range(1, 6)
    ]
    _weeks(database, recent)
    monkeypatch.delenv("DUTYDESK_OPERATOR", raising=False)
    code, out, err = run_cli(
        capsys, db_arg, "--lang", "zh_CN", "report", "weekly", "--at", "2026-11-26"
    )
    assert code == 0, err
    assert "白石县高坪镇·群众诉求明显增多：本周5件，往常每周约0.0件" in out
    assert "p =" not in out and "p <" not in out
    assert "本周共接报值班事项5件，其中群众诉求5件。上周1件，环比增长400.0%" in out
    analyst = run_cli(capsys, db_arg, "--lang", "zh_CN", "trends", "emerging", "--window", "week")
    assert "白石县高坪镇" in analyst[1] and "e-0" in analyst[1]  # the p-value column


def _weekly_text(
    db_arg: str, capsys: pytest.CaptureFixture[str], tmp_path: Any, language: str, fmt: str
) -> str:
    from docx import Document

    from tests.docs_support import run_cli

    target = tmp_path / f"week.{fmt}"
    code, _, err = run_cli(
        capsys, db_arg, "--lang", language, "report", "weekly", "--at", "2026-11-26",
        "--format", fmt, "-o", str(target),
    )  # fmt: skip
    assert code == 0, err
    if fmt == "docx":
        return "\n".join(p.text for p in Document(str(target)).paragraphs)
    return str(target.read_text(encoding="utf-8")).replace("\\", "")


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_weekly_report_words_its_counts_and_times_as_a_document(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any, fmt: str,
) -> None:  # fmt: skip
    """Issue 12, "Language": "共接报值班事项6件，其中事故灾难1件、群众诉求5件", times as
    "26日1时31分" (never 11-26 01:31) in the Chinese report; English keeps its own."""
    database = db
    recent = [
        _incident(n, NOW - timedelta(hours=10 * n), category="public_request", channel="walk_in")
        for n in range(1, 6)
    ]
    serious = _incident(
        6, NOW - timedelta(hours=1), category="accident", severity="II", title="燃气爆炸"
    )
    _weeks(database, [*recent, serious])
    monkeypatch.delenv("DUTYDESK_OPERATOR", raising=False)
    monkeypatch.setenv("DUTYDESK_DAY_SHIFT_START", "08:30")
    text = _weekly_text(db_arg, capsys, tmp_path, "zh_CN", fmt)
    assert "本周共接报值班事项6件，其中事故灾难1件、群众诉求5件。" in text
    assert "本周：11月23日8时30分至11月30日8时30分（北京时间）" in text
    assert "生成时间：2026年11月26日2时31分" in text
    assert "26日1时31分" in text  # the grade II item's time, as a document writes it
    latin = re.findall(r"\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}|\b\d{2}-\d{2}\b", text)
    assert not latin, latin[:5]
    english = _weekly_text(db_arg, capsys, tmp_path, "en", fmt)
    assert "This week: 6 incidents received, of which accident 1, public request 5." in english
    assert "Week: 2026-11-23 08:30 +08:00 to 2026-11-30 08:30 +08:00" in english
    assert "11-26 01:31" in english


# -- 同比: the same natural week one year earlier -----------------------------------------------


def _year_back(db: Database) -> None:
    """The wage visits of this week, and the same ISO week (W48) of 2025 with two requests."""
    database = db
    recent = [
        _incident(
            n,
            NOW - timedelta(hours=10 * n),
            location="白石县高坪镇",
            category="public_request",
            channel="walk_in",
        )
        for n in range(1, 6)
    ]
    year_ago = [  # Monday 24 November 2025 08:30 to Monday 1 December 08:30
        _incident(1, datetime(2025, 11, 25, 10, 0, tzinfo=SHANGHAI), category="public_request"),
        _incident(2, datetime(2025, 11, 30, 20, 0, tzinfo=SHANGHAI), category="public_request"),
        # 08:29 on the Monday is still Sunday's duty day: the week before, not counted.
        _incident(3, datetime(2025, 11, 24, 8, 29, tzinfo=SHANGHAI), category="accident"),
    ]
    _weeks(database, [*recent, *year_ago])


def test_weekly_report_compares_with_the_same_week_a_year_earlier(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:  # fmt: skip
    """Issue 12: 同比 beside 环比, in percent; a count of 0 a year back is said in words."""
    _year_back(db)
    monkeypatch.delenv("DUTYDESK_OPERATOR", raising=False)
    monkeypatch.setenv("DUTYDESK_DAY_SHIFT_START", "08:30")
    for fmt in ("md", "docx"):
        text = _weekly_text(db_arg, capsys, tmp_path, "zh_CN", fmt)
        assert "上周1件，环比增长400.0%；去年同期2件，同比增长150.0%。" in text
        assert (
            "群众诉求：本周5件，上周0件，环比无可比（上周0件）；去年同期2件，同比增长150.0%" in text
        )
        assert "来访：本周5件，上周0件，环比无可比（上周0件）；去年同期无" in text
        assert "p =" not in text and "p <" not in text
    english = _weekly_text(db_arg, capsys, tmp_path, "en", "md")
    assert "2 a year earlier, up 150.0%" in english and "none a year earlier" in english


def test_weekly_report_without_records_a_year_back_makes_no_comparison(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:  # fmt: skip
    """Before the desk's first record the count is unknown, not zero: no 同比 then."""
    database = db
    _weeks(database, [_incident(1, NOW - timedelta(hours=5), category="accident")])
    monkeypatch.delenv("DUTYDESK_OPERATOR", raising=False)
    text = _weekly_text(db_arg, capsys, tmp_path, "zh_CN", "md")
    assert "去年同期无记录，不作同比" in text
    assert "去年同期无。" not in text and "同比增长" not in text


def test_trends_print_the_year_earlier_beside_the_previous_window(
    db: Database, db_arg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.docs_support import run_cli

    _year_back(db)
    monkeypatch.delenv("DUTYDESK_OPERATOR", raising=False)
    code, out, err = run_cli(
        capsys, db_arg, "--lang", "zh_CN", "trends", "--window", "week", "--by", "category",
        "--to", "2026-11-30T08:30", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    rows = {row["key"]: row for row in json.loads(out)}
    assert rows["public_request"]["year_ago"] == 2
    assert rows["public_request"]["yoy"] == "增长150.0%"
    assert rows["accident"]["year_ago"] == 0 and rows["accident"]["yoy"] == "去年同期无"
    code, out, err = run_cli(
        capsys, db_arg, "--lang", "zh_CN", "trends", "--window", "week", "--by", "category",
        "--to", "2026-11-30T08:30",
    )  # fmt: skip
    assert code == 0, err
    assert "去年同期" in out and "同比" in out and "增长150.0%" in out
