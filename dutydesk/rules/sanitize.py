"""The one sanitising path for stored text on its way to a screen or a document.

Stored text is data. Before it reaches a terminal or a file it passes through
:func:`clean` so that:

* terminal escape sequences (CSI, OSC including OSC 52 clipboard writes, DCS, ...) are
  removed whole, not just their ESC byte, so no half-sequence is left to confuse a reader;
* the remaining C0 and C1 control characters, DEL and NUL are removed (``\\n`` and ``\\t``
  survive in multi-line mode);
* every format character (Unicode category Cf) is made visible as ``⟨U+XXXX⟩``: bidi
  overrides and zero-width characters, which can make ``report\\u202egpj.exe`` read as
  ``reportexe.jpg``, but also the soft hyphen, the Mongolian vowel separator, tag
  characters (which can spell hidden ASCII) and interlinear annotation marks;
* so is every noncharacter (U+FDD0-FDEF and the last two code points of each plane,
  U+FFFE, U+FFFF, U+1FFFE, ...) and every lone surrogate: they stand for no character,
  XML forbids U+FFFE/U+FFFF (a DOCX or XLSX holding one cannot be written) and a lone
  surrogate cannot be encoded as UTF-8 at all, so a paste carrying one is shown as what
  it is instead of crashing a document or an export.

Chinese text needs no format character: CJK ideographs, full-width punctuation and the
ideographic space are letters, punctuation and spaces, and ideographic variation
selectors (a name written with a variant glyph, ``葛\\U000E0100``) are nonspacing marks,
so all of these pass unchanged. The zero-width joiner is shown even inside an emoji
sequence (``👨⟨U+200D⟩👩``): a duty record needs to show what was stored, not a joined
glyph, and an exception for "real" emoji would be a hole to hide other joiners in.

Markup is a separate concern handled by the renderers: the console passes the cleaned
string as a ``Content`` object, which never interprets ``[...]``.
"""

from __future__ import annotations

import re
from functools import cache


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled at its first use in the process.

    The patterns below are kept as text: compiling them at import took ~2 ms of CPU from
    every CLI command (issue 16), most of which cleans nothing (a printable text needs no
    search, see :func:`needs_cleaning`).
    """
    return re.compile(pattern)


# Whole escape sequences first, 7-bit and 8-bit forms: OSC/DCS/SOS/PM/APC strings end at
# BEL or ST; CSI ends at a final byte; other ESC sequences are two or three bytes.
_ESCAPE_SEQUENCE = r"""(?x)
    (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])   # OSC, DCS, SOS, PM, APC introducers
        [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # ... up to BEL or ST (or the end)
    | (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?       # CSI ... final byte
    | \x1b[ -/]*[0-~]?                         # any other ESC sequence
    """

# C0 controls except TAB and LF, DEL, and C1 controls.
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"

# Every format character (Unicode category Cf), written out so that importing this module
# does not scan the Unicode database (the CLI starts on every command);
# tests/test_sanitize.py checks the list against ``unicodedata`` over all code points.
# A few ranges are taken whole, unassigned points included, so that characters later
# Unicode versions add there are covered too (U+2065; U+13439-1343F, Cf since Unicode
# 15; the tag block U+E0000-E007F).
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x0600, 0x0605),  # Arabic number signs (prepended concatenation marks)
    (0x061C, 0x061C),  # Arabic letter mark
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated
    (0xFEFF, 0xFEFF),  # BOM / zero-width no-break space
    (0xFFF9, 0xFFFB),  # interlinear annotation anchor, separator, terminator
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical beam and phrase controls
    (0xE0000, 0xE007F),  # language tag and tag characters
)


# Noncharacters (Unicode's "permanently reserved for internal use", category Cn) and
# surrogates (Cs; in a Python string only ever alone, from a bad decode or a JSON
# "\\ud800"): neither is text, and both break the documents' XML or the UTF-8 output.
_NONCHARACTER_RANGES = (
    (0xD800, 0xDFFF),  # surrogates
    (0xFDD0, 0xFDEF),
    *((plane + 0xFFFE, plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)),
)

_SHOWN_RANGES = _INVISIBLE_RANGES + _NONCHARACTER_RANGES
"""Everything :func:`clean` makes visible as ``⟨U+XXXX⟩``."""


def _character_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)


_INVISIBLE = "[" + _character_class(_SHOWN_RANGES) + "]"

DROP_WHILE_EDITING: dict[int, None] = {
    code: None
    for code in [
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        *(code for low, high in _SHOWN_RANGES for code in range(low, high + 1)),
    ]
}
"""A ``str.translate`` table for text being edited in a form: the value keeps exactly
what was typed (it is what gets stored), but drawing it drops every control and
invisible character above, noncharacters and surrogates too, TAB and LF included (an
input line is one line already)."""

_LINE_BREAKS = r"\r\n|\r|\n|\u2028|\u2029"


def _show(match: re.Match[str]) -> str:
    return f"⟨U+{ord(match.group()):04X}⟩"


# Everything single-line :func:`clean` changes: controls (TAB, LF and CR included, and the
# ESC or C1 byte that starts every escape sequence), line and paragraph separators, and
# the format characters, noncharacters and surrogates.
_NEEDS_CLEANING = "[\x00-\x1f\x7f-\x9f\u2028\u2029" + _character_class(_SHOWN_RANGES) + "]"


def needs_cleaning(text: str) -> bool:
    """True unless ``clean(text)`` would return ``text`` unchanged.

    A fast test for large tables: most cells hold nothing to clean, and a search is
    cheaper than the substitutions :func:`clean` runs.
    """
    # str.isprintable() is false for every character of that class (controls, format
    # characters, noncharacters and unassigned points, surrogates, line and paragraph
    # separators; tests/test_export_streaming.py checks all code points): a printable
    # text needs no search, and the C test is ~50x faster than the regex's class.
    return not text.isprintable() and _compiled(_NEEDS_CLEANING).search(text) is not None


def clean(text: object, *, multiline: bool = False) -> str:
    """Return ``text`` safe to show in a terminal or write to a document.

    Args:
        text: Anything; ``None`` becomes an empty string, other objects their ``str``.
        multiline: Keep line breaks (normalised to ``\\n``) and tabs. When false, line
            breaks become `` ⏎ `` and tabs a space, so a table cell stays one line and
            the reader still sees that the original had several.

    Returns:
        The cleaned text. Printable characters, including all CJK text, are unchanged.

    """
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if not needs_cleaning(value):
        # Nothing any step below would touch (every character they act on is in that
        # class): one search instead of four substitutions, for the cells of a big export.
        return value
    value = _compiled(_LINE_BREAKS).sub("\n", value)
    value = _compiled(_ESCAPE_SEQUENCE).sub("", value)
    if not multiline:
        value = value.replace("\n", " ⏎ ").replace("\t", " ")
    value = _compiled(_CONTROL).sub("", value)
    return _compiled(_INVISIBLE).sub(_show, value)


# In a JSON text these can only occur inside strings, so escaping them keeps it valid and
# every value exact: C1 controls and DEL (a terminal may act on U+009B as CSI), line and
# paragraph separators, the format characters above, noncharacters, and lone surrogates
# (which could not even be written as UTF-8; escaped, a parser gets them back).
_JSON_UNSAFE = "[\x7f-\x9f\u2028\u2029" + _character_class(_SHOWN_RANGES) + "]"


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    # JSON escapes only 16-bit units: a character beyond the BMP (a tag character) is
    # written as its UTF-16 surrogate pair, which every parser joins back.
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_safe(document: str) -> str:
    r"""A JSON text with every character a terminal could act on or hide as ``\uXXXX``.

    ``json.dumps`` already escapes C0 controls (ESC becomes ``\u001b``); with
    ``ensure_ascii=False`` it leaves C1 controls and bidi overrides raw, which a terminal
    showing the output may obey. Parsing the result gives back exactly the same values.
    """
    if document.isprintable():  # nothing of that class is printable: no regex needed
        return document
    return _compiled(_JSON_UNSAFE).sub(_json_escape, document)


def one_line(text: object, limit: int | None = None) -> str:
    """Clean ``text`` for a single-line cell, cut to ``limit`` characters with an ellipsis."""
    if limit is not None and isinstance(text, str) and len(text) > limit * 8 + 64:
        # Only the start can show: do not clean a 1 MB paste to draw thirty characters.
        # (Escape sequences are removed whole, so a generous margin keeps the cut exact.)
        text = text[: limit * 8 + 64]
    value = clean(text)
    if limit is not None and len(value) > limit:
        return value[: max(limit - 1, 0)] + "…"
    return value


# A spreadsheet reads a cell as a formula when it starts with = + - @; Excel and WPS also
# skip leading blanks and line breaks before that sign, and a spreadsheet set up for a
# Chinese locale may fold the full-width (and small-form) signs into the ASCII ones.
_FORMULA = r"[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b]"


_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b")
"""The signs of :data:`_FORMULA`, for its quick first test."""


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet could take the cell ``text`` for a formula.

    ``=``, ``+``, ``-`` or ``@`` first (OWASP's CSV injection list), also after spaces,
    tabs, a line break or CR, and in their full-width forms (``＝＋－＠``); a cell
    starting with TAB or CR, as before. The CSV writer puts an apostrophe before such a
    cell and the XLSX writer marks it "text, quoted" (``quotePrefix``), so neither a
    spreadsheet opening the file nor someone editing the cell later runs it.
    """
    first = text[:1]
    if not first or not (first in _SIGNS or first.isspace()):
        # Neither a sign nor a blank (the regex's \s is str.isspace) first: no formula.
        # Most cells end here, without a regex, in an export of 10^5 rows.
        return False
    return text.startswith(("\t", "\r")) or _compiled(_FORMULA).match(text) is not None


def may_start_formula(firsts: str) -> bool:
    """False when no text starting with one of the characters ``firsts`` looks like a formula.

    For a row of cells: their first characters joined, one test for the row. A formula
    starts with a sign or a blank (:func:`looks_like_formula`), and every blank but the
    space is unprintable, so printable ``firsts`` without a space or a sign rule it out.
    """
    return not (firsts.isprintable() and " " not in firsts and _SIGNS.isdisjoint(firsts))


# Letters that draw as nothing: the Hangul fillers and the blank Braille pattern, a
# classic way to make a name that looks empty.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_visible_text(text: str) -> bool:
    """True when ``text`` shows at least one letter, digit, punctuation mark or symbol.

    Escape sequences, controls, format characters, noncharacters, blanks of any width,
    combining marks on their own and letters that draw as nothing do not count: a name
    made only of those is a seat that looks empty on the roster.
    """
    import unicodedata  # only here: the module otherwise avoids the Unicode database

    shown = _compiled(_ESCAPE_SEQUENCE).sub("", text).translate(DROP_WHILE_EDITING)
    return any(
        unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_LETTERS for char in shown
    )
