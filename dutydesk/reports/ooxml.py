"""Splicing many rows into an Office file that a library wrote: the fast path for big tables.

openpyxl and python-docx spend 15-40 microseconds per cell building objects; a day of
10,000 incidents is 160,000 cells, seconds on the desk's machines against a one-second
budget. So the libraries write everything else - styles, fonts, widths, frozen header,
page setup, the header row - and the data rows, generated here as XML text with every
value escaped, are inserted into the part just before a closing tag. The result is an
ordinary file; the tests reopen it with openpyxl and python-docx.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable
from typing import IO
from xml.sax.saxutils import escape

from dutydesk.errors import DutyDeskError
from dutydesk.i18n import t
from dutydesk.rules.sanitize import looks_like_formula, may_start_formula

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` escaped for XML text, with characters XML 1.0 forbids removed."""
    if value.isprintable():  # none of those is printable: most cells skip the regex
        # Most cells hold nothing to escape either: three scans in C, no replacing.
        if "&" in value or "<" in value or ">" in value:
            return escape(value)
        return value
    return escape(_ILLEGAL.sub("", value))


FAST_DEFLATE = 1
"""zlib level for a big spliced part: a 10,000-incident handover pack's 29 MB of XML
deflates in 65 ms at 1 against 245 ms at the default 6, in a file about half again as
big (505 KB against 330 KB): time is what a desk waits for (issue 16). The rows of a
day's xlsx and docx export likewise (100,000 incidents: xlsx 4.3 -> 3.8 s, 7.7 -> 9.7 MB;
docx 3.3 -> 3.0 s, 2.3 -> 3.8 MB)."""


def rewrite(
    data: bytes, member: str, change: Callable[[str], str], *, level: int | None = None
) -> bytes:
    """The zip ``data`` with the text of ``member`` replaced by ``change(text)``.

    ``level``: the zlib level ``member`` is deflated at (default: zlib's own, 6).
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            chosen = None
            if info.filename == member:
                content = change(content.decode("utf-8")).encode("utf-8")
                chosen = level
            target.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=chosen)
    return buffer.getvalue()


def splice(data: bytes, member: str, before: str, insert: str, count: int = 1) -> bytes:
    """Insert ``insert`` into zip member ``member`` before the ``count``-th ``before``.

    Raises:
        ValueError: the member or the tag is not there.

    """

    def change(text: str) -> str:
        position = -1
        for _ in range(count):
            position = text.find(before, position + 1)
            if position < 0:
                raise ValueError(f"{member}: no {before}")
        return text[:position] + insert + text[position:]

    return rewrite(data, member, change)


_CHUNK = 1 << 16
"""Characters gathered before a streamed splice compresses and writes them."""

MEMBER_LIMIT = zipfile.ZIP64_LIMIT
"""The bytes a zip member may hold without zip64 (2 GiB - 1). A streamed member is
written before its size is known, so zip64 is chosen up front (``zip64=``); a member
that grows past this without it is refused in words, not by ``zipfile``'s traceback."""


class TooLargeForOffice(DutyDeskError):
    """An Office file cannot hold what was asked (its rows, or its part's size)."""

    exit_code = 2


def splice_to(
    data: bytes,
    member: str,
    before: str,
    insert: Iterable[str],
    out: IO[bytes],
    *,
    zip64: bool = False,
) -> None:
    """:func:`splice` written to ``out`` as ``insert``'s pieces come: memory flat in them.

    The zip ``data`` (written by a library, small: no rows yet) goes to ``out`` with the
    pieces put into ``member`` before its first ``before``; the member is compressed as
    it is written, so a 100,000-row sheet is never held whole. ``out`` may be a pipe.
    ``zip64``: the member may pass :data:`MEMBER_LIMIT` (a day of a million incidents);
    a plain member otherwise, which every reader takes (Excel reads zip64 strictly).

    Raises:
        ValueError: the member or the tag is not there.
        TooLargeForOffice: the member passed :data:`MEMBER_LIMIT` without ``zip64``;
            what was written of it is not a whole file.

    """
    source = zipfile.ZipFile(io.BytesIO(data))
    if member not in source.namelist():
        raise ValueError(f"{member}: not in the file")
    # The rows' part at FAST_DEFLATE: deflating it at zlib's 6 was a sixth of an xlsx
    # export's CPU (0.76 of 4.3 s at 100k). A member opened by name takes the archive's
    # level (a ZipInfo's own level is private before Python 3.13), and zip's "no date",
    # 1980-01-01; the library's own small parts keep their level and stamp.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=FAST_DEFLATE) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename != member:
                target.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
                continue
            text = content.decode("utf-8")
            position = text.find(before)
            if position < 0:
                raise ValueError(f"{member}: no {before}")
            with target.open(member, "w", force_zip64=zip64) as stream:
                room = None if zip64 else MEMBER_LIMIT
                _stream_member(stream, text[:position], insert, text[position:], room)


def _stream_member(
    stream: IO[bytes], head: str, insert: Iterable[str], tail: str, room: int | None
) -> None:
    """``head``, ``insert``'s pieces a chunk at a time, then ``tail``, into ``stream``.

    Raises:
        TooLargeForOffice: more than ``room`` bytes (``None``: no bound).

    """
    written = 0

    def put(chunk: bytes) -> None:
        nonlocal written
        written += len(chunk)
        # Refused before zipfile's own check, which comes only at the close, after the
        # whole part, as a RuntimeError nobody could act on.
        if room is not None and written > room:
            raise TooLargeForOffice(t("error.office.too_large", limit="2 GiB"))
        stream.write(chunk)

    put(head.encode("utf-8"))
    pending: list[str] = []
    size = 0
    for piece in insert:
        pending.append(piece)
        size += len(piece)
        if size >= _CHUNK:
            put("".join(pending).encode("utf-8"))
            pending, size = [], 0
    put(("".join(pending) + tail).encode("utf-8"))


_CELL_FORMATS = re.compile(r'<cellXfs count="\d+"')


def add_quoted_text_format(data: bytes) -> tuple[bytes, int]:
    """Add the cell format "text, quoted" (``quotePrefix``) to a workbook; its index.

    A cell in that format is what Excel makes of text typed after an apostrophe: shown
    without it, and still text when someone edits the cell and presses Enter, where a
    plain text cell holding ``=...`` would turn into a formula. Run it on the workbook
    before its rows are spliced in (the styles part is small; the sheet not yet big).

    Raises:
        ValueError: the workbook has no cell formats (``cellXfs``) to add to.

    """
    index = -1

    def change(text: str) -> str:
        nonlocal index
        start, end = text.find("<cellXfs"), text.find("</cellXfs>")
        if start < 0 or end < 0:
            raise ValueError("xl/styles.xml: no cellXfs")
        index = text.count("<xf ", start, end)
        added = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" quotePrefix="1" xfId="0"/>'
        text = text[:end] + added + text[end:]
        return _CELL_FORMATS.sub(f'<cellXfs count="{index + 1}"', text, count=1)

    return rewrite(data, "xl/styles.xml", change), index


def column_letter(index: int) -> str:
    """Spreadsheet column name of the 1-based ``index``: 1 -> A, 27 -> AA."""
    name = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def sheet_rows(rows: list[list[object]], first_row: int, quoted: int | None = None) -> str:
    """SpreadsheetML ``<row>`` elements numbered from ``first_row``.

    Text becomes inline strings (never formulas), numbers numbers, ``None``/empty no cell.
    Text a spreadsheet could take for a formula (``rules.sanitize.looks_like_formula``)
    also gets the cell format ``quoted`` (from :func:`add_quoted_text_format`), so it
    stays text even when edited.
    """
    letters = [column_letter(i) for i in range(1, 1 + max((len(r) for r in rows), default=0))]
    return "".join(
        sheet_row(number, row, letters, quoted) for number, row in enumerate(rows, first_row)
    )


def sheet_row(number: int, row: list[object], letters: list[str], quoted: int | None) -> str:
    """One ``<row>`` of :func:`sheet_rows`: row ``number``, cells in columns ``letters``.

    A row whose cells are text, numbers and blanks, none of them a possible formula, is
    filled into the template of its shape (which cells are text, numbers, blank), made
    once: one substitution instead of a piece of XML per cell (issue 16: the cells of a
    10^5-row sheet cost more than the rest of the export). Any other row goes a cell at
    a time, as it always did; both write the same text.
    """
    shape = tuple([None if value == "" else value.__class__ for value in row])
    key = (shape, *letters)
    template = _TEMPLATES.get(key)
    if template is None:
        template = _template(shape, letters)
        if len(_TEMPLATES) < _TEMPLATES_KEPT:
            _TEMPLATES[key] = template
    if not template:
        return _sheet_row_cells(number, row, letters, quoted)
    # The kept cells as text: a number's text (digits, sign, point) is its own XML.
    texts = [
        value if value.__class__ is str else str(value)
        for value in row[: len(letters)]
        if value is not None and value != ""
    ]
    if quoted is not None and may_start_formula("".join([text[:1] for text in texts])):
        return _sheet_row_cells(number, row, letters, quoted)
    return template.replace(_NUMBER, str(number)) % tuple(xml_texts(texts))


_TEMPLATES: dict[tuple[object, ...], str] = {}
_TEMPLATES_KEPT = 4096
"""Row templates by shape and columns; a sheet's rows have a few dozen shapes."""
_TEMPLATE_CLASSES = frozenset({str, int, float, type(None), None})
_NUMBER = "\x00"
"""Where a template takes its row's number; no markup holds NUL (the cells go in after)."""


def _template(shape: tuple[type | None, ...], letters: list[str]) -> str:
    """The template of a row of ``shape``, or ``""`` for a shape that has none.

    :data:`_NUMBER` stands for the row's number, and ``%s`` for each cell kept (text
    escaped, or a number), in order; only text, numbers and blanks (``None``, empty text).
    """
    if not _TEMPLATE_CLASSES.issuperset(shape):
        return ""
    parts = [f'<row r="{_NUMBER}">']
    for letter, kind in zip(letters, shape, strict=False):
        if kind is None or kind is type(None):
            continue
        if kind is str:
            parts.append(
                f'<c r="{letter}{_NUMBER}" t="inlineStr"><is><t xml:space="preserve">'
                "%s</t></is></c>"
            )
        else:
            parts.append(f'<c r="{letter}{_NUMBER}"><v>%s</v></c>')
    parts.append("</row>")
    return "".join(parts)


def _sheet_row_cells(number: int, row: list[object], letters: list[str], quoted: int | None) -> str:
    """:func:`sheet_row` a cell at a time: any row a template does not fit."""
    kept = [
        (letter, value)
        for letter, value in zip(letters, row, strict=False)
        if value is not None and value != ""
    ]
    texts = [value if value.__class__ is str else str(value) for _, value in kept]
    parts = [f'<row r="{number}">']
    style = f' s="{quoted}"'
    # One test of the cells' first characters rules out a formula in most rows.
    check = quoted is not None and may_start_formula("".join([text[:1] for text in texts]))
    for (letter, value), text, xml in zip(kept, texts, xml_texts(texts), strict=True):
        if isinstance(value, int | float) and not isinstance(value, bool):
            parts.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
        else:
            quote = style if check and looks_like_formula(text) else ""
            parts.append(
                f'<c r="{letter}{number}"{quote} t="inlineStr"><is><t xml:space="preserve">'
                f"{xml}</t></is></c>"
            )
    parts.append("</row>")
    return "".join(parts)


def xml_texts(texts: list[str]) -> list[str]:
    """``[xml_text(text) for text in texts]``, escaped in one go for a row of cells.

    Printable text holds no character XML forbids (nor NUL): joined by NUL, escaped once
    and split again, a row costs three replacements instead of three per cell.
    """
    if texts and "".join(texts).isprintable():
        return escape("\x00".join(texts)).split("\x00")
    return [xml_text(text) for text in texts]
