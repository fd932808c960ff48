"""SMS splitting: every segment within 70, nothing lost, order kept, no broken characters."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dutydesk.rules.sms import SMS_LIMIT, clusters, join_segments, split_segments, units

# Text as it comes: CJK, ASCII, emoji (astral, two UTF-16 units), combining marks,
# ZWJ sequences, flags, variation selectors, CR LF, and text that looks like a marker.
PIECES = st.sampled_from(
    [
        "据市应急管理局报告，",
        "东湖区幸福路12号",
        "。",
        "a",
        " ",
        "(1/2)",
        "\r\n",
        "e\u0301",  # e + combining acute
        "\U0001f600",  # 😀 astral
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family ZWJ sequence
        "\U0001f1e8\U0001f1f3",  # flag CN
        "\u2764\ufe0f",  # heart + VS16
        "\U0001f44d\U0001f3fd",  # thumbs up + skin tone
        "𠀀",  # CJK extension B (astral)
    ]
)
TEXTS = st.lists(PIECES, max_size=80).map("".join) | st.text(max_size=400)


@given(TEXTS)
@settings(max_examples=400, deadline=None)
def test_segments_within_limit_nothing_lost_order_kept(text: str) -> None:
    segments = split_segments(text)
    assert all(units(segment) <= SMS_LIMIT for segment in segments)
    assert join_segments(segments) == text
    if len(segments) > 1:
        total = len(segments)
        for index, segment in enumerate(segments, start=1):
            assert segment.startswith(f"({index}/{total})")


@given(st.lists(PIECES, min_size=1, max_size=80).map("".join))
@settings(max_examples=300, deadline=None)
def test_no_cut_inside_a_character(text: str) -> None:
    segments = split_segments(text)
    if len(segments) < 2:
        return
    bodies = [segment[segment.index(")") + 1 :] for segment in segments]
    boundaries = set()
    position = 0
    for body in bodies[:-1]:
        position += len(body)
        boundaries.add(position)
    cluster_edges = set()
    position = 0
    for cluster in clusters(text):
        position += len(cluster)
        cluster_edges.add(position)
    assert boundaries <= cluster_edges
    for body in bodies:  # no segment starts with a combining mark or a lone joiner
        assert not unicodedata.combining(body[0])
        assert body[0] != "\u200d"


def test_short_text_is_one_segment_without_marker() -> None:
    assert split_segments("据报告，情况属实。") == ["据报告，情况属实。"]
    assert split_segments("") == []


def test_exactly_seventy_fits_and_seventy_one_splits() -> None:
    assert len(split_segments("字" * 70)) == 1
    segments = split_segments("字" * 71)
    assert segments == ["(1/2)" + "字" * 65, "(2/2)" + "字" * 6]


def test_marker_width_grows_with_ten_or_more_segments() -> None:
    segments = split_segments("字" * 700)
    assert len(segments) >= 10
    assert segments[0].startswith(f"(1/{len(segments)})")
    assert all(len(segment) <= 70 for segment in segments)
    assert join_segments(segments) == "字" * 700


def test_astral_characters_count_two_units() -> None:
    text = "\U0001f600" * 40  # 80 units
    segments = split_segments(text)
    assert len(segments) == 2
    assert all(units(segment) <= 70 for segment in segments)


def test_limit_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="leaves no room for text"):
        split_segments("字" * 20, limit=6)


# Issue 14: where an office cuts a short version by hand. The demo's gas explosion, as the
# old greedy cut gave it: "燃气|爆炸" and "受伤25|人" were split across messages.
GAS = (
    "【信息快报2026年第1期】据市应急管理局电话报告，东湖区幸福路12号一栋7层居民楼发生燃气"
    "爆炸并引发火灾，楼体局部坍塌，有人员被困，伤亡情况不明。周文斌书记指示：一、全力搜救被困"
    "人员，不惜一切代价救治伤员，最大限度减少人员伤亡；二、立即排查周边燃气管网，严防次生灾害；"
    "三、妥善安置受影响群众；四、市应急局、东湖区每小时报告一次进展。目前，现场搜救持续进行，"
    "累计搜救出被困人员36人，其中死亡11人、受伤25人；仍有约21人下落不明。"
)


def _bodies(segments: list[str]) -> list[str]:
    return [segment[segment.index(")") + 1 :] for segment in segments]


def test_cuts_fall_after_punctuation_within_the_window() -> None:
    segments = split_segments(GAS)
    assert join_segments(segments) == GAS
    for body in _bodies(segments)[:-1]:
        assert body[-1] in "。；，、！？：", body
    assert "燃气爆炸" in _bodies(segments)[0] or "燃气爆炸" in _bodies(segments)[1]


def test_a_number_and_its_unit_stay_together_without_punctuation() -> None:
    # No punctuation at all: the cut backs off to before the number, not "受伤25|人".
    text = "字" * 62 + "受伤25人" + "字" * 20
    bodies = _bodies(split_segments(text))
    assert "".join(bodies) == text
    assert bodies[0].endswith("受伤") and bodies[1].startswith("25人")
    text = "字" * 60 + "H7N9禽流感S220K612" + "字" * 30
    bodies = _bodies(split_segments(text))
    assert not any(
        body[-1].isascii() and after[0].isascii() for body, after in itertools.pairwise(bodies)
    )


def test_hostile_texts_still_fit_and_lose_nothing() -> None:
    for text in (
        "1" * 500,  # one endless number: cut anyway, within the limit
        "，" * 300,  # nothing but punctuation
        "25人" * 100,
        "\U0001f600" * 100 + "。" * 3,
        "e\u0301" * 200,
        "(1/2)" * 60,
    ):
        segments = split_segments(text)
        assert all(units(segment) <= SMS_LIMIT for segment in segments)
        assert join_segments(segments) == text


def test_the_gateway_signature_comes_off_each_separate_message() -> None:
    from dutydesk.rules.sms import SmsStyle

    style = SmsStyle(gateway_signature="【临川政务】")
    assert style.budget == 64
    segments = style.segments(GAS)
    assert all(units(segment) + 6 <= 70 for segment in segments)
    assert join_segments(segments) == GAS
    joined = SmsStyle(gateway_signature="【临川政务】", concatenates=True)
    assert joined.segments(GAS) == [GAS]  # the gateway cuts and the phone joins
    assert joined.parts(GAS) == -(-(units(GAS) + 6) // 67)
    assert joined.parts("短") == 1
