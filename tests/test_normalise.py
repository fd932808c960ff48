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


def test_full_width_forms_narrowed_before_nfkc_change_nothing() -> None:
    # normalise maps full-width forms to their NFKC form before NFKC runs (issue 16): the
    # same decomposition NFKC starts from, also before a combining mark that composes
    # (＝ + U+0338 is ≠, a symbol, dropped; é is a letter, kept).
    every = (chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    text = "".join(f"e{char}\u0338\u0301" for char in every)
    assert normalise(text) == _by_category(text)
    assert normalise("＝\u0338e\u0301") == "é"
