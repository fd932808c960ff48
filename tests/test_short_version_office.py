"""Issue 14: short versions as an office sends them, made from the demo night's items.

Cut at 。；，、 (never inside "受伤25人"), signed off with the time, the call-back number and
the office's signature, the title not said twice, each message leaving room for the
gateway's own signature; stored text stays data, whatever it holds.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from dutydesk.config import load_settings
from dutydesk.errors import ConfigError
from dutydesk.i18n import set_language
from dutydesk.rules.sms import SmsStyle, join_segments, units
from dutydesk.services.bulletins.short_version import short_version
from dutydesk.services.bulletins.write import draft_bulletin, review_bulletin, sign_bulletin
from dutydesk.storage.engine import Database
from dutydesk.vocab import BulletinKind, Classification
from tests.conftest import DEMO_MOMENT, SHANGHAI
from tests.templates import DemoTemplates

GAS = "20261125-019"  # the demo's gas explosion: 受伤25人, 燃气爆炸, a long instruction
GATEWAY = SmsStyle(gateway_signature="【临川政务】", callback="0794-8212345")


def _bulletin(db: Database, serial: str) -> int:
    bulletin_id = draft_bulletin(
        db, kind=BulletinKind.EXPRESS, serials=[serial], actor="杨帆", now=DEMO_MOMENT,
        tz=SHANGHAI, clearance=Classification.SECRET,
    )  # fmt: skip
    review_bulletin(db, bulletin_id, actor="杨帆", now=DEMO_MOMENT)
    level = db.read("SELECT classification FROM incident WHERE serial = :s", {"s": serial})
    sms_ok = [serial] if level[0][0] == "internal" else []  # 可发短信/微信, where it is asked
    sign_bulletin(db, bulletin_id, signer="张振华", actor="杨帆", now=DEMO_MOMENT, sms_ok=sms_ok)
    return bulletin_id


@pytest.fixture
def demo(db: Database, demo_templates: DemoTemplates) -> Database:
    return demo_templates.load_into(db, DEMO_MOMENT)


def _bodies(segments: tuple[str, ...]) -> list[str]:
    return [segment[segment.index(")") + 1 :] for segment in segments]


def test_the_gas_explosion_goes_as_the_office_would_cut_and_sign_it(demo: Database) -> None:
    version = short_version(demo, _bulletin(demo, GAS), style=GATEWAY, tz=SHANGHAI)
    title = "东湖区幸福路一居民楼发生燃气爆炸"
    assert not version.text.startswith(title)  # the first sentence says it in full
    assert version.full.endswith("（11月26日02:31，回电0794-8212345）【临川市委值班室】")
    assert join_segments(version.segments) == version.full
    assert all(units(segment) <= 70 - units("【临川政务】") for segment in version.segments)
    bodies = _bodies(version.segments)
    for body in bodies[:-1]:  # each message ends at punctuation or before a bracket
        following = bodies[bodies.index(body) + 1]
        assert body[-1] in "。；，、！？：" or following[0] in "（【“《", (body, following)
    assert any("燃气爆炸" in body for body in bodies)
    assert any("受伤25人" in body for body in bodies)


def test_every_demo_item_is_cut_at_punctuation_or_whole_numbers(demo: Database) -> None:
    serials = [
        str(row.serial)
        for row in demo.read(
            "SELECT serial FROM incident WHERE classification IN ('public', 'internal') "
            "AND occurred_at IS NOT NULL ORDER BY id"
        )
    ]
    assert len(serials) >= 10
    cuts = at_punctuation = 0
    for serial in serials:
        version = short_version(demo, _bulletin(demo, serial), style=GATEWAY, tz=SHANGHAI)
        bodies = _bodies(version.segments) if len(version.segments) > 1 else []
        for body, following in itertools.pairwise(bodies):
            cuts += 1
            at_punctuation += body[-1] in "。；，、！？：" or following[0] in "（【“《"
            # never inside a number with its unit, nor inside the office's signature
            assert not (body[-1].isdigit() and (following[0].isdigit() or following[0] in "人万元"))
            assert not body.endswith("【临川")
    print(f"demo cuts: {at_punctuation} of {cuts} at punctuation")
    assert cuts and at_punctuation / cuts >= 0.8, (at_punctuation, cuts)


def test_hostile_stored_text_and_signature_stay_plain_data(demo: Database) -> None:
    bulletin_id = _bulletin(demo, GAS)
    hostile = SmsStyle(office_signature="【值班室\x1b[31m】\n", callback="\x07110")
    edited = short_version(
        demo, bulletin_id, edit="\x1b]0;x\x07第一行\n第二行" + "字" * 200, actor="杨帆",
        now=DEMO_MOMENT, style=hostile, tz=SHANGHAI,
    )  # fmt: skip
    assert "\x1b" not in edited.full and "\x07" not in edited.full and "\n" not in edited.full
    assert all(units(segment) <= 70 for segment in edited.segments)
    assert join_segments(edited.segments) == edited.full


def test_a_concatenating_gateway_is_handed_one_message(demo: Database) -> None:
    style = SmsStyle(gateway_signature="【临川政务】", concatenates=True)
    version = short_version(demo, _bulletin(demo, GAS), style=style, tz=SHANGHAI)
    assert version.segments == (version.full,)
    assert style.parts(version.full) == -(-(units(version.full) + 6) // 67)
    # The console's preview and `bulletin sms` say so: one text, in parts of 67.
    set_language("zh_CN")
    parts = style.parts(version.full)
    assert parts > 1 and version.count_line() == f"共 1 条长短信，分 {parts} 段发送（每段 67 字）："
    separate = short_version(demo, _bulletin(demo, GAS), style=GATEWAY, tz=SHANGHAI)
    assert separate.count_line() == f"共 {len(separate.segments)} 条短信："


def test_the_settings_say_how_the_gateway_takes_it(tmp_path: object) -> None:
    settings = load_settings(
        environ={
            "DUTYDESK_SMS_GATEWAY_SIGNATURE": "【临川政务】",
            "DUTYDESK_SMS_CALLBACK": "0794-8212345",
            "DUTYDESK_SMS_GATEWAY_CONCATENATES": "true",
        }
    )
    style = settings.sms_style()
    assert style.office_signature == "【临川市委值班室】"
    assert (style.budget, style.concatenates, style.part) == (64, True, 67)
    assert style.sign_off(datetime(2026, 11, 26, 2, 31, tzinfo=SHANGHAI)) == (
        "（11月26日02:31，回电0794-8212345）【临川市委值班室】"
    )
    with pytest.raises(ConfigError, match="sms_limit"):
        load_settings(environ={"DUTYDESK_SMS_LIMIT": "seventy"})
