"""``similarity.normalise``: the translate table drops exactly what the category rule said."""

from __future__ import annotations

import sys
import unicodedata

from dutydesk.rules.similarity import normalise


def _by_category(text: str) -> str:
    """The rule as first written: one category test per character."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] not in {"Z", "P", "S", "C"})


def test_every_code_point_is_kept_or_dropped_as_its_category_says() -> None:
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    assert normalise(every) == _by_category(every)


def test_reports_fold_width_and_case_and_lose_punctuation() -> None:
    assert normalise("幸福路 １２ 号，ＡＢ　燃气！\x07") == "幸福路12号ab燃气"
    assert normalise("") == ""
