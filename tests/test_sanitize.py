"""The one sanitising path: stored text is data, never markup or terminal control."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from dutydesk.rules.sanitize import (
    DROP_WHILE_EDITING,
    clean,
    json_safe,
    looks_like_formula,
    needs_cleaning,
    one_line,
)

FORMAT_CHARACTERS = [
    chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Cf"
]
"""Every format character (category Cf) this Python's Unicode database knows."""

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


def test_the_format_characters_that_used_to_pass_are_made_visible() -> None:
    assert clean("soft\u00adhyphen") == "soft⟨U+00AD⟩hyphen"
    assert clean("mongolian\u180evowel") == "mongolian⟨U+180E⟩vowel"
    assert clean("\U000e0001\U000e0041\U000e007f") == "⟨U+E0001⟩⟨U+E0041⟩⟨U+E007F⟩"
    assert clean("a\ufff9b\ufffac\ufffbd") == "a⟨U+FFF9⟩b⟨U+FFFA⟩c⟨U+FFFB⟩d"


def test_every_format_character_is_made_visible() -> None:
    for char in FORMAT_CHARACTERS:
        for multiline in (False, True):
            assert clean(f"x{char}y", multiline=multiline) == f"x⟨U+{ord(char):04X}⟩y"
        assert ord(char) in DROP_WHILE_EDITING


@given(st.lists(st.text() | st.sampled_from(FORMAT_CHARACTERS)).map("".join))
def test_no_format_character_ever_survives(text: str) -> None:
    for multiline in (False, True):
        result = clean(text, multiline=multiline)
        assert not [char for char in result if unicodedata.category(char) == "Cf"]
    assert not [
        char for char in text.translate(DROP_WHILE_EDITING) if unicodedata.category(char) == "Cf"
    ]


@given(st.lists(st.text() | st.sampled_from(FORMAT_CHARACTERS)).map("".join))
def test_json_escapes_every_format_character_and_keeps_the_value(text: str) -> None:
    document = json_safe(json.dumps({"v": text}, ensure_ascii=False))
    assert not [char for char in document if unicodedata.category(char) == "Cf"]
    assert json.loads(document) == {"v": text}


_CHINESE = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
    | st.sampled_from("，。、；：？！「」『』（）《》〈〉【】—…·　０１２３ＡＢ")
)


@given(_CHINESE)
def test_chinese_text_needs_no_format_character(text: str) -> None:
    assert clean(text) == text


def test_ideographic_variation_sequences_are_kept_and_emoji_joiners_shown() -> None:
    # An ideographic variation selector (a person's name written with a variant glyph)
    # is a nonspacing mark, not a format character: it stays.
    assert clean("葛\U000e0100") == "葛\U000e0100"
    # The zero-width joiner is Cf; it is shown even inside an emoji sequence (a record
    # needs the people, not the family glyph).
    assert clean("👨\u200d👩") == "👨⟨U+200D⟩👩"


@given(st.lists(st.text() | st.sampled_from(FORMAT_CHARACTERS)).map("".join))
def test_the_fast_path_skips_only_text_clean_keeps(text: str) -> None:
    # reports/daily.py cleans a cell only when needs_cleaning says so.
    if not needs_cleaning(text):
        assert clean(text) == text
    assert all(needs_cleaning(char) for char in FORMAT_CHARACTERS)


NONCHARACTERS = [
    chr(code) for code in range(0x110000) if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
]
"""The 66 noncharacters, by Unicode's definition (not by the sanitiser's list)."""


def test_noncharacters_and_lone_surrogates_are_made_visible() -> None:
    assert len(NONCHARACTERS) == 66
    for char in [*NONCHARACTERS, "\ud800", "\udfff"]:
        for multiline in (False, True):
            assert clean(f"x{char}y", multiline=multiline) == f"x⟨U+{ord(char):04X}⟩y"
        assert needs_cleaning(char)
        assert ord(char) in DROP_WHILE_EDITING
    assert clean("停电\ufffe了").encode("utf-8") == "停电⟨U+FFFE⟩了".encode()


def test_json_escapes_noncharacters_and_surrogates_and_keeps_the_value() -> None:
    value = "a\ufffeb\uffffc\ufdd0d\U0010fffe\ud800"
    document = json_safe(json.dumps({"v": value}, ensure_ascii=False))
    document.encode("utf-8")  # a lone surrogate left raw could not be written at all
    assert not [char for char in document if char in NONCHARACTERS]
    assert json.loads(document) == {"v": value}


def test_a_formula_start_after_blanks_or_a_line_break_or_full_width_is_a_formula() -> None:
    for text in [
        "=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\rx",  # as before
        "  =HYPERLINK(\"http://x\")", "\n=1+1", "\r=1+1", "\r\n+1", " \t @SUM(A1)",
        "\u3000=1+1",  # an ideographic space first
        "＝1+1", "＋1", "－2+3", "＠SUM(A1)", "  ＝1+1",  # full-width signs
    ]:  # fmt: skip
        assert looks_like_formula(text), repr(text)
    for text in ["市民来电", "1-2", "a=b", "  ", "", "20261126-001", "（=）", "＝"[:0] + "号=1"]:
        assert not looks_like_formula(text), repr(text)


def test_a_csv_cell_with_a_formula_after_a_cr_gets_the_apostrophe() -> None:
    from dutydesk.cli.commands.output import csv_cell

    assert csv_cell("\r=1+1") == "'\n=1+1"  # CR is a line break once cleaned
    assert csv_cell("  =1+1") == "'  =1+1"
    assert csv_cell("＝1+1") == "'＝1+1"
    assert csv_cell("市民=1") == "市民=1"


def test_importing_the_sanitiser_compiles_no_pattern() -> None:
    # Its patterns are compiled at first use: ~2 ms of every CLI command went to
    # compiling them at import, though a printable text needs none (issue 16).
    code = (
        "import re\n"
        "compiled = []\n"
        "compile = re.compile\n"
        "re.compile = lambda *args, **kwargs: compiled.append(args) or compile(*args, **kwargs)\n"
        "import dutydesk.rules.sanitize as sanitize\n"
        "assert sanitize.clean('幸福路12号') == '幸福路12号'\n"
        "print(len(compiled))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0"]
