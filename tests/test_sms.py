"""SMS splitting: every segment within 70, nothing lost, order kept, no broken characters."""

from __future__ import annotations

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
