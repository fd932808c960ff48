"""The one sanitising path: stored text is data, never markup or terminal control."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dutydesk.rules.sanitize import clean, one_line

HOSTILE = [
    "note [/] end",
    "[@click=app.quit]x[/]",
    "\x1b]52;c;ZWNobw==\x1b\\",
    "report\u202egpj.exe",
    "[link=https://evil.example]click[/link]",
    "\x1b[2J\x1b[31mred",
    "nul\x00byte",
    "c1\x9b31mcsi",
    "zero\u200bwidth",
]


def test_markup_is_left_as_literal_text() -> None:
    # Markup is neutralised by rendering as Content, not by mangling the text.
    assert clean("note [/] end") == "note [/] end"
    assert clean("[@click=app.quit]x[/]") == "[@click=app.quit]x[/]"


def test_osc52_clipboard_write_is_removed_whole() -> None:
    assert clean("a\x1b]52;c;ZWNobw==\x1b\\b") == "ab"
    assert clean("a\x1b]52;c;ZWNobw==\x07b") == "ab"


def test_csi_and_c1_sequences_are_removed() -> None:
    assert clean("\x1b[2J\x1b[31mred\x1b[0m") == "red"
    assert "\x9b" not in clean("c1\x9b31mcsi")


def test_bidi_and_zero_width_are_made_visible() -> None:
    assert clean("report\u202egpj.exe") == "report⟨U+202E⟩gpj.exe"
    assert clean("zero\u200bwidth") == "zero⟨U+200B⟩width"


def test_line_breaks_kept_in_multiline_and_marked_in_one_line() -> None:
    assert clean("一\r\n二\r三", multiline=True) == "一\n二\n三"
    assert clean("一\n二") == "一 ⏎ 二"
    assert clean("a\tb") == "a b"
    assert clean("a\tb", multiline=True) == "a\tb"


def test_chinese_text_is_untouched() -> None:
    text = "据幸福路派出所电话报告：燃气爆炸，3人受伤（已送医）。"
    assert clean(text) == text


def test_one_line_cuts_with_an_ellipsis() -> None:
    assert one_line("abcdef", 4) == "abc…"
    assert one_line("abc", 4) == "abc"


@given(st.text())
def test_no_control_character_ever_survives(text: str) -> None:
    for multiline in (False, True):
        result = clean(text, multiline=multiline)
        allowed = {"\n", "\t"} if multiline else set()
        assert all(
            ch in allowed or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F) for ch in result
        )
        assert "\u202e" not in result and "\u200b" not in result


def test_hostile_set_never_keeps_escape() -> None:
    for text in HOSTILE:
        assert "\x1b" not in clean(text)
