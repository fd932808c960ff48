"""Keys of the trends: places, units and key phrases of Chinese text. Pure, no I/O.

**Places** are counted by the district and town of the location as typed (the part up
to the first 县/区/市 and 镇/乡/街道), normalised as the duplicate check does
(:func:`dutydesk.rules.similarity.normalise`), and roll up as an office counts them
(:func:`place_keys`): 东湖区阳光花园3栋 counts under 东湖区, 临川市东湖区… too (a city
named before its district is dropped), and 白石县高坪镇 under both 白石县 and 白石县高坪镇.
An online source (网络（抖音、微博）, 微信群, a web address) is no place: it counts as
none given.

**Key phrases.** Chinese has no spaces between words. Summaries are cut into character
bigrams and trigrams of their CJK runs, not segmented into words: a segmenter such as
jieba adds a large dependency and about a second of dictionary loading to a console
that starts in half a second, and its dictionary misses the local names (小区, 村,
企业) that make an issue local, while the n-grams of a recurring phrase recur with it.
Stop bigrams (反映, 群众, 电话, ...) are cut out first and n-grams may not start or end
with a function character (的, 了, ...). Flagged n-grams behind the same incidents are
one issue: :func:`merge_phrases` joins their overlapping pieces back (电梯 + 梯故 + 故障
-> 电梯故障) when the joined text occurs in the summaries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from dutydesk.rules.significance import Flag
from dutydesk.rules.similarity import normalise

UNSPECIFIED = ""
"""The key of an incident with no location or unit typed."""
LABEL_CHARS = 8
"""Longest piece of a merged phrase shown in its label."""

_ADMIN = re.compile(
    # A city (临川市) is dropped only when a district follows it: 临川市东湖区 is 东湖区,
    # while 临川市 alone (or 临川市人民医院) stays the city.
    r"^(?:[^县区市]{1,7}?(?:市|自治州|州|地区|盟)(?=[^市]{1,9}?(?:自治县|县|区|市|旗)))?"
    r"(?P<district>.{1,10}?(?:自治县|自治州|自治旗|县|区|市|旗|州))?"
    r"(?P<town>.{1,8}?(?:镇|乡|街道))?"
)
ONLINE_SOURCES = (
    "网络", "网上", "网传", "互联网", "微博", "微信", "抖音", "快手", "头条", "今日头条",
    "小红书", "贴吧", "论坛", "公众号", "视频号", "b站", "http", "www",
)  # fmt: skip
"""How an online source begins, normalised: a location that does is no place."""


@lru_cache(maxsize=4096)  # places repeat: a month of incidents names a few hundred
def place_keys(text: str) -> tuple[str, ...]:
    """The places an incident counts under, widest first: the district, then its town.

    临川市东湖区阳光花园小区3栋 -> (东湖区,); 白石县高坪镇省道S220 -> (白石县, 白石县高坪镇).
    A place with no district or town named is kept whole (cut to 12 characters): it is
    what was typed. Nothing typed, or an online source: ``()``.
    """
    value = normalise(text)
    if not value or value.startswith(ONLINE_SOURCES):
        return ()
    found = _ADMIN.match(value)
    assert found is not None  # every group is optional: the pattern always matches
    district, town = found.group("district"), found.group("town")
    if district and town:
        return (district, district + town)
    if district or town:
        return (district or town,)
    return (value[:12],)


def location_key(text: str) -> str:
    """The widest place of a location (:func:`place_keys`), or :data:`UNSPECIFIED`.

    东湖区阳光花园小区3栋 -> 东湖区; 青山县石门镇黄竹村后山 -> 青山县.
    """
    keys = place_keys(text)
    return keys[0] if keys else UNSPECIFIED


@lru_cache(maxsize=4096)
def unit_key(text: str) -> str:
    """A reporting unit normalised (full-width folded, spaces and punctuation dropped)."""
    return normalise(text)


_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
STOP_BIGRAMS = frozenset(
    re.findall(
        r"\S+",
        "反映 群众 市民 居民 来电 来信 来访 来函 要求 请求 希望 协调 解决 "
        "问题 情况 目前 已经 有关 相关 部门 表示 其中 进行 发生 报告 我们 "
        "他们 一个 没有 处理 工作 联名 称该 该栋 多位 多名 以来 以上 左右 "
        "反应 诉求 核实 关注 尽快 帮助 个月 小时 今天 昨天 今日 昨日 上午 "
        "下午 晚上 凌晨 多次 一直 不能 无法 导致 造成 出现 存在 影响 提出 "
        "电话 短信 微信 热线 信访 值班 市委 政府 ",
    )
)
"""Bigrams that say how a report came in or is phrased, not what it is about."""
FUNCTION_CHARS = frozenset("的了在是和与及等被有也都又把对将从向为于其之这那个我你他她它们")
"""Characters an n-gram may not start or end with: they glue words, they are not words."""


def _stop_pattern(stops: frozenset[str]) -> re.Pattern[str]:
    """The stop bigrams as one pattern, grouped by their first character (反[映应]|...).

    Grouped, the scan tests one character class where a stop can start instead of every
    bigram at every character.
    """
    seconds: dict[str, list[str]] = {}
    for stop in sorted(stops):
        seconds.setdefault(stop[0], []).append(re.escape(stop[1]))
    return re.compile(
        "|".join(f"{re.escape(first)}[{''.join(rest)}]" for first, rest in seconds.items())
    )


_STOPS = _stop_pattern(STOP_BIGRAMS)


def phrases(text: str, *, normalised: bool = False) -> frozenset[str]:
    """The distinct bigrams and trigrams of the CJK runs of ``text``, stop-listed.

    Stop bigrams are cut out of the text first, so no n-gram straddles one (居民反映电梯
    gives 电梯, not 映电); where two overlap (来电话) the first one read is cut, so the
    same text always gives the same phrases. ``normalised``: the caller already ran
    ``normalise`` on it.
    """
    found: set[str] = set()
    function = FUNCTION_CHARS
    pieces = (
        piece
        for run in _CJK_RUN.findall(text if normalised else normalise(text))
        for piece in _STOPS.split(run)
    )
    for piece in pieces:
        size = len(piece)
        if size < 3:  # most pieces between stop words: one bigram at most
            if size == 2 and piece[0] not in function and piece[1] not in function:
                found.add(piece)
            continue
        word = [char not in function for char in piece]  # may start or end an n-gram
        found.update(piece[i : i + 2] for i in range(size - 1) if word[i] and word[i + 1])
        found.update(piece[i : i + 3] for i in range(size - 2) if word[i] and word[i + 2])
    return frozenset(found)


def _join(parts: list[str], texts: Sequence[str]) -> list[str]:
    """Join overlapping pieces into longer ones when the joined text occurs in ``texts``."""
    pieces = sorted(set(parts), key=lambda s: (-len(s), s))
    changed = True
    while changed:
        changed = False
        pieces = [p for p in pieces if not any(p != q and p in q for q in pieces)]
        for a in pieces:
            for b in pieces:
                if a == b:
                    continue
                for size in range(min(len(a), len(b)) - 1, 0, -1):
                    if a.endswith(b[:size]):
                        joined = a + b[size:]
                        if sum(joined in text for text in texts) * 2 >= len(texts):
                            pieces = [p for p in pieces if p not in (a, b)] + [joined]
                            changed = True
                        break
                if changed:
                    break
            if changed:
                break
    return sorted(pieces, key=lambda s: (-len(s), s))


def merge_phrases(
    flags: Sequence[Flag], recent_ids: Mapping[str, frozenset[int]], texts: Mapping[int, str]
) -> list[tuple[str, Flag, frozenset[int]]]:
    """Flagged n-grams behind (nearly) the same recent incidents become one phrase.

    Flags are taken lowest p first; a flag joins a cluster when at least 80% of the smaller
    of the two incident sets is in the other (the overlap coefficient): a phrase found in
    most of an issue's incidents belongs to it. Each cluster is represented by its most
    specific flag (fewest incidents, then lowest p), so a generic piece (小区) that
    gathered a specific one (电梯故障) does not list incidents the label is not about;
    every member was flagged on its own, so the representative's count and p stand.

    Returns:
        (label, the representative flag, its incident ids) per cluster; the label is the
        two longest pieces joined back from the members, separated by "/", each cut to
        :data:`LABEL_CHARS` characters.

    """
    clusters: list[tuple[list[Flag], set[int]]] = []
    for flag in flags:
        ids = recent_ids.get(flag.key, frozenset())
        for members, gathered in clusters:
            smaller = min(len(gathered), len(ids))
            if smaller and len(gathered & ids) / smaller >= 0.8:
                members.append(flag)
                gathered |= ids
                break
        else:
            clusters.append(([flag], set(ids)))
    merged = []
    for members, _gathered in clusters:
        best = min(members, key=lambda f: (len(recent_ids.get(f.key, ())), f.p_value, f.key))
        own = recent_ids.get(best.key, frozenset())
        pieces = _join([f.key for f in members], [texts.get(i, "") for i in sorted(own)])[:2]
        label = "/".join(p if len(p) <= LABEL_CHARS else p[:LABEL_CHARS] + "…" for p in pieces)
        merged.append((label, best, own))
    return merged


__all__ = [
    "FUNCTION_CHARS",
    "LABEL_CHARS",
    "ONLINE_SOURCES",
    "STOP_BIGRAMS",
    "UNSPECIFIED",
    "location_key",
    "merge_phrases",
    "phrases",
    "place_keys",
    "unit_key",
]
