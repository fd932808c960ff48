"""The hostile-string data set: what an officer (or a paste) could put into a record.

Every input (console forms, CLI options, JSON on stdin) takes these, and every output
(panes, notifications, txt/md/csv/json/xlsx/docx, SMS text) must show them literally and
safely: no markup acted on, no terminal control let through, no formula run.
"""

from __future__ import annotations

import re
import unicodedata

SHORT: dict[str, str] = {
    "markup_close": "note [/] end [/bold]",
    "click": "[@click=app.quit]退出[/]",
    "link": "[link=https://evil.example]点我[/link]",
    "osc52_bel": "剪贴板\x1b]52;c;ZWNobw==\x07写入",
    "osc52_st": "a\x1b]52;c;ZWNobw==\x1b\\b",
    "osc_title": "\x1b]0;pwned\x07标题",
    "csi": "\x1b[2J\x1b[31m红色\x1b[0m",
    "c1": "c1\x9b31m控制\x9d0;x\x9c",
    "nul": "空\x00字符",
    "bidi": "report\u202egpj.exe",
    "isolate": "\u2066隔离\u2069",
    "zero_width": "零\u200b宽\u200d字\ufeff符",
    # Other format characters (Unicode category Cf): soft hyphen, Mongolian vowel
    # separator, tag characters (can spell hidden ASCII), interlinear annotation.
    "format": "软\u00ad连\u180e字\U000e0001\U000e0070\U000e0077\U000e007f\ufff9注\ufffa音\ufffb",
    # Noncharacters: U+FFFE crashed the handover and bulletin DOCX (XML forbids it) and
    # reached every text, JSON and CSV output raw (issue 17, item 12).
    "nonchar": "非\ufffe字\uffff符\ufdd0号\U0001fffe\U0010ffff",
    "formula_eq": '=HYPERLINK("http://x","y")',
    "formula_plus": "+1+cmd|' /C calc'!A0",
    "formula_at": "@SUM(A1:A9)",
    "formula_minus": "-2+3",
    # A formula start after blanks or a line break, or full-width (a spreadsheet in a
    # Chinese locale may fold ＝＋－＠ into = + - @): neutralised too (issue 17, item 17).
    "formula_spaces": '  =HYPERLINK("http://x","y")',
    "formula_line_break": "\n=1+1",
    "formula_full_eq": '＝HYPERLINK("http://x","y")',
    "formula_full_plus": "＋1+cmd|' /C calc'!A0",
    "formula_full_minus": "－2+3",
    "formula_full_at": "＠SUM(A1:A9)",
}
"""Short hostile strings, one per kind of attack the issue names."""

LINE_1MB = "火灾报告" * 262_144
"""A single line of 1,048,576 characters."""

PASTE_1MB = "\n".join(
    f"第{n}行：据报，东湖区一居民楼冒烟，[b]请核实[/b]\x1b[0m。" for n in range(32_768)
)
"""A multi-line paste of about 1 MB (32,768 lines), with markup and escapes inside."""

ALL: dict[str, str] = {**SHORT, "line_1mb": LINE_1MB, "paste_1mb": PASTE_1MB}

FORMULAS = {key: value for key, value in SHORT.items() if key.startswith("formula")}

FORMULA_SIGNS = "=+-@＝＋－＠"
"""What a spreadsheet may read as the start of a formula, after any blanks."""


def formula_like(text: str) -> bool:
    """True when ``text`` could be read as a formula (the tests' own definition)."""
    return text.lstrip()[:1] in set(FORMULA_SIGNS) if text.strip() else False


# What no human-readable output may contain raw: C0 controls but TAB and LF, DEL, C1
# controls, every format character (category Cf: bidi controls, zero-width
# characters, soft hyphen, tags, ...), every noncharacter (U+FDD0-FDEF, U+xFFFE and
# U+xFFFF of each plane) and surrogate. Taken from Unicode's definitions here, not from
# dutydesk.rules.sanitize, so a character the sanitiser forgets is caught.
_FORMAT = "".join(chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Cf")
_NONCHARACTERS = "".join(
    chr(code) for code in range(0x110000) if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
)
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff" + re.escape(_FORMAT + _NONCHARACTERS) + "]"
)


def unsafe_in(text: str) -> list[str]:
    """The unsafe characters found in ``text`` (as ``U+XXXX``), for a readable failure."""
    return sorted({f"U+{ord(char):04X}" for char in UNSAFE.findall(text)})


def shows_number(text: str, number: str) -> bool:
    """Whether ``number`` (a PIN, a casualty figure) is printed on its own in ``text``.

    A number counts only as a whole run of digits outside a location: a server
    database's name holds the test process's id, and ``dutydesk_t24682_89`` once "held"
    the PIN 2468 (CI, stop 32). A path or a URL never carries a secret here, and a
    leaked PIN would stand as its own run of digits.
    """
    words = (word for word in text.split() if "/" not in word)
    return any(number in re.findall(r"\d+", word) for word in words)
