"""A history with one planted emerging issue, for the trends tests (CLI, services, console).

Eight quiet days before 2026-11-26 02:31 (Shanghai): one or two incidents a day spread
over places and categories. In the last 24 hours, six letters and calls from 东湖区阳光
花园小区 about the lift (电梯故障停运): the planted issue. Beside it, what must never
show up in trends: a secret incident about the same lift, and a drill incident.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dutydesk.storage.engine import Database

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 2, 31, tzinfo=SHANGHAI)
"""The moment the history is written for (the console tests' frozen clock)."""
PLANTED = [f"20261125-{n:03d}" for n in range(50, 56)]
"""Serials of the six incidents of the planted issue."""
HOSTILE_TITLE = " [/] [@click=app.quit]x \x1b]52;c;ZWNobw==\x07"
"""Stored text on one planted incident that must show literally and never act."""
SECRET = "20261125-060"
DRILL = "20261125-061"

_QUIET = [
    ("西江区滨江路", "accident", "phone", "滨江路两车相撞，无人员伤亡。"),
    ("青山县石门镇", "natural_disaster", "grassroots", "石门镇山体小面积滑坡，已设警示。"),
    ("东湖区幸福路", "public_request", "phone", "幸福路路灯不亮，请求维修。"),
    ("白石县高坪镇", "public_health", "fax", "高坪镇卫生院报告发热病例。"),
    ("云溪县城关镇", "social_security", "sms_wechat", "城关镇夜市噪音扰民。"),
]


def _row(serial: str, received: datetime, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "serial": serial,
        "serial_date": received.astimezone(SHANGHAI).date(),
        "serial_no": int(serial[-3:]),
        "received_at": received,
        "channel": "phone",
        "category": "other",
        "severity": "IV",
        "severity_rank": 3,
        "title": "",
        "summary": "",
        "classification": "internal",
        "status": "closed",
        "is_open": False,
        "created_at": received,
        "updated_at": received,
    }
    base.update(fields)
    return base


def seed_history(db: Database, now: datetime = NOW) -> dict[str, int]:
    """Write the quiet days and the planted issue; incident ids by serial."""
    from dutydesk.storage.models import DrillRun, Incident

    rows = []
    for day in range(1, 9):
        for slot in range(1 + day % 2):
            place, category, channel, summary = _QUIET[(day + slot) % len(_QUIET)]
            received = now - timedelta(days=day, hours=3 + slot * 5)
            rows.append(
                _row(
                    f"{received.astimezone(SHANGHAI):%Y%m%d}-{100 + day * 2 + slot:03d}",
                    received,
                    location=place,
                    category=category,
                    channel=channel,
                    title=summary[:12],
                    summary=summary,
                )
            )
    for index, serial in enumerate(PLANTED):
        received = now - timedelta(hours=20 - index * 3)
        rows.append(
            _row(
                serial,
                received,
                location=f"东湖区阳光花园小区{index + 1}栋",
                category="public_request",
                channel="letter" if index % 2 else "phone",
                title=f"阳光花园电梯故障{index + 1}" + (HOSTILE_TITLE if index == 2 else ""),
                summary=f"阳光花园小区{index + 1}栋居民反映电梯故障停运，老人出行困难。",
                status="received",
                is_open=True,
            )
        )
    rows.append(
        _row(
            SECRET,
            now - timedelta(hours=2),
            location="东湖区阳光花园小区9栋",
            category="public_request",
            channel="letter",
            title="绝不可见的标题",
            summary="电梯故障停运，绝不可见。",
            classification="secret",
        )
    )
    ids: dict[str, int] = {}
    with db.session() as session:
        run = DrillRun(
            scenario="lift",
            title="电梯演练",
            started_at=now - timedelta(hours=1),
            status="finished",  # a finished run: the console has nothing of it to follow
            finished_at=now - timedelta(minutes=30),
        )
        session.add(run)
        session.flush()
        drill = _row(
            DRILL,
            now - timedelta(hours=1),
            location="东湖区阳光花园小区",
            category="public_request",
            channel="phone",
            title="演练：电梯故障",
            summary="演练：电梯故障停运。",
            drill_run_id=run.id,
        )
        for values in [*rows, drill]:
            incident = Incident(**values)
            session.add(incident)
            session.flush()
            assert incident.id is not None
            ids[incident.serial] = incident.id
    return ids
