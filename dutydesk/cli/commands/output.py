"""One output format option for every listing and export command: table, JSON or CSV.

Data goes to stdout, messages to stderr. The three formats treat stored text differently,
on purpose:

* **json** carries the exact stored text (it is data for another program);
* **table** is for a terminal: every cell passes through
  :func:`dutydesk.rules.sanitize.clean`, so escape sequences, control characters and
  bidi overrides in stored text never reach the screen;
* **csv** is for Excel/WPS: text is exact except that a cell a spreadsheet could take
  for a formula (``=``, ``+``, ``-``, ``@``, also after spaces or a line break, or
  full-width ``＝＋－＠``; TAB or CR first: :func:`dutydesk.rules.sanitize.looks_like_formula`)
  gets a leading apostrophe, so a spreadsheet never runs it (OWASP's CSV injection advice).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import Enum, StrEnum
from typing import IO, Annotated, Any, Literal, cast

import typer

from dutydesk.i18n import t
from dutydesk.rules.sanitize import (
    clean,
    json_safe,
    looks_like_formula,
    may_start_formula,
    needs_cleaning,
    one_line,
)
from dutydesk.storage.private import PRIVATE_FILE


class OutputFormat(StrEnum):
    """How a command prints its data."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", help="table (for reading), json (exact data) or csv (for Excel/WPS)."),
]

TableOrJson = Literal["table", "json"]
"""``--format`` of a command that shows one record (no CSV): ``incident show``."""
"""The shared ``--format`` option; commands default it to ``OutputFormat.TABLE``."""

_zone: tzinfo | None = None


def use_zone(zone: tzinfo) -> None:
    """Print every moment in ``zone`` (the office's, set by ``open_env``), offset included.

    Stored moments are UTC; a person reading a list, a CSV in WPS or a JSON file reads
    them as the desk's clock (``export daily`` always did), and the offset keeps them exact.
    """
    global _zone
    _zone = zone


def _moment(value: datetime) -> str:
    if _zone is not None:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        value = aware.astimezone(_zone)
    return value.isoformat()


def csv_cell(value: Any) -> str:
    """A value as a CSV cell, neutralised if a spreadsheet would read it as a formula."""
    # Cleaned like every other output (escape sequences and controls dropped, bidi and
    # zero-width shown), so that printing the CSV cannot act on the terminal.
    if value.__class__ is str:  # most cells of a big export: no calls to find it out
        text = clean(value, multiline=True)
        return "'" + text if looks_like_formula(text) else text
    text = clean(plain(value), multiline=True)
    if isinstance(value, str | Enum) and looks_like_formula(text):
        return "'" + text
    return text


def csv_row(values: Sequence[Any], checked: Iterable[int] | None = None) -> list[str]:
    """``[csv_cell(value) for value in values]``, with one search for the whole row.

    A row of an export rarely holds anything to clean: one search of its text joined
    (the test is per character, so joined or not it finds the same) spares the cleaning
    calls of all its cells; a row that has something goes cell by cell as ever.
    ``checked``: the positions of the cells that could look like a formula (default
    all); the others hold codes, counts or ISO times, which never do.
    """
    texts = [value if value.__class__ is str else plain(value) for value in values]
    if needs_cleaning("".join(texts)):
        return [csv_cell(value) for value in values]
    for index in range(len(values)) if checked is None else checked:
        value, text = values[index], texts[index]
        if isinstance(value, str | Enum) and looks_like_formula(text):  # as csv_cell says
            texts[index] = "'" + text
    return texts


def plain(value: Any) -> str:
    """A value as text for CSV and tables: ``None`` empty, times ISO 8601, enums by code."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def json_value(value: Any) -> Any:
    """A value as JSON data: times ISO 8601, enums by code, dataclasses as objects."""
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: json_value(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return value


def width(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], limit: int = 40) -> str:
    """Rows as aligned text columns; every cell sanitised and cut to ``limit`` characters."""
    cells = [[one_line(plain(value), limit) for value in row] for row in rows]
    titles = [one_line(header) for header in headers]
    sizes = [width(title) for title in titles]
    for row in cells:
        sizes = [max(size, width(cell)) for size, cell in zip(sizes, row, strict=True)]
    lines = ["  ".join(_pad(cell, size) for cell, size in zip(titles, sizes, strict=True))]
    lines += [
        "  ".join(_pad(cell, size) for cell, size in zip(row, sizes, strict=True)) for row in cells
    ]
    return "\n".join(line.rstrip() for line in lines)


def emit(
    fmt: OutputFormat,
    columns: Sequence[tuple[str, str]],
    records: Sequence[Mapping[str, Any]],
    *,
    table_cells: Sequence[Sequence[Any]] | None = None,
    out: IO[str] | None = None,
) -> None:
    """Print ``records`` in ``fmt`` to stdout.

    Args:
        fmt: the chosen format.
        columns: (key, header) pairs: the CSV columns and the table's headers.
        records: one mapping per row, with exact values (JSON prints all their keys).
        table_cells: display values for the table (e.g. local times, labels), one
            sequence per record in ``columns`` order; default: the records' values.
        out: where to write (default stdout).

    """
    stream = out or sys.stdout
    if fmt is OutputFormat.JSON:
        stream.write(json_safe(json.dumps(json_value(list(records)), ensure_ascii=False, indent=2)))
        stream.write("\n")
    elif fmt is OutputFormat.CSV:
        import csv  # only here and in write_csv_rows: a table or a message needs none

        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([key for key, _ in columns])
        for record in records:
            writer.writerow([csv_cell(record.get(key)) for key, _ in columns])
    else:
        rows = table_cells
        if rows is None:
            rows = [[record.get(key) for key, _ in columns] for record in records]
        if rows:
            stream.write(render_table([header for _, header in columns], rows) + "\n")


def emit_object(record: Any, *, out: IO[str] | None = None) -> None:
    """Print one record (a mapping or a dataclass) as a JSON object, values exact."""
    stream = out or sys.stdout
    stream.write(json_safe(json.dumps(json_value(record), ensure_ascii=False, indent=2)))
    stream.write("\n")


def message(text: str) -> None:
    """A message for the person at the terminal (stderr), sanitised, one line."""
    typer.echo(one_line(text), err=True)


class DocumentFormat(StrEnum):
    """Formats of documents and exports (``bulletin show``, ``export daily``).

    One enum for every document command, so ``--format`` means the same everywhere.
    Each command's ``--format`` is a ``Literal`` of exactly the formats it makes, so its
    help and shell completion offer only those; the command converts the choice here.
    """

    TXT = "txt"
    MD = "md"
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"
    XLSX = "xlsx"
    DOCX = "docx"

    @property
    def binary(self) -> bool:
        """True for formats that are files, not text (xlsx, docx)."""
        return self in {DocumentFormat.XLSX, DocumentFormat.DOCX}


OutputFileOption = Annotated[
    str | None,
    typer.Option(
        "-o", "--output", help="Write to this file instead of stdout.", show_default=False
    ),
]


def csv_text(
    columns: Sequence[str], records: Sequence[Mapping[str, Any]], *, excel: bool = False
) -> str:
    """Records as CSV, every cell through :func:`csv_cell` (formula neutralisation).

    Args:
        columns: the keys to write, in order; also the header row.
        records: one mapping per row.
        excel: start with a UTF-8 byte-order mark, which Excel and WPS need to read the
            file as UTF-8 (without it they guess GBK and Chinese turns to mojibake).

    """
    parts: list[str] = []
    write_csv(parts.append, columns, records, excel=excel)
    return "".join(parts)


def write_csv(
    write: Callable[[str], object],
    columns: Sequence[str],
    records: Iterable[Mapping[str, Any]],
    *,
    excel: bool = False,
) -> None:
    """:func:`csv_text` written a row at a time to ``write``: records streamed, not held."""
    rows = ([record.get(key) for key in columns] for record in records)
    write_csv_rows(write, columns, rows, excel=excel)


def write_csv_rows(
    write: Callable[[str], object],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    excel: bool = False,
    formula_free: Collection[str] = (),
) -> None:
    """:func:`write_csv` of rows already holding their values in ``columns`` order.

    ``formula_free``: columns holding only codes, counts and ISO times, which no
    spreadsheet takes for a formula: their cells skip that test (cleaned as all are).
    """
    import csv

    if excel:
        write("\ufeff")
    writer = csv.writer(_Line(write), lineterminator="\r\n")
    writer.writerow(columns)
    checked = [index for index, key in enumerate(columns) if key not in formula_free]
    for values in rows:
        line = _plain_line(values, checked)
        if line is None:
            writer.writerow(csv_row(values, checked))
        else:
            write(line)


def _plain_line(values: Sequence[Any], checked: Sequence[int]) -> str | None:
    """The CSV line of a row needing nothing done to it, or ``None`` if it needs more.

    Most rows of an export hold no text to clean, no cell to quote (a comma, a double
    quote, a line break) and no cell that could start a formula: their line is the cells
    joined by commas, as ``csv.writer`` writes it, without its walk over every character
    (a third of a 10^5-row export). Any other row goes through :func:`csv_row` and the
    writer as ever, and so does a row of one cell (the writer quotes it when empty).
    """
    if len(values) < 2:
        return None
    texts = [
        value if value.__class__ is str else "" if value is None else plain(value)
        for value in values
    ]
    line = ",".join(texts)
    # Printable: nothing to clean (needs_cleaning is false, CR and LF are not printable).
    if not line.isprintable() or '"' in line or line.count(",") != len(texts) - 1:
        return None
    if may_start_formula("".join([texts[index][:1] for index in checked])):
        return None
    return line + "\r\n"


class _Line:
    """A ``csv.writer`` target passing each row's text on to ``write``."""

    __slots__ = ("write",)

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write


def write_file(output: str, payload: bytes) -> None:
    """Write ``payload`` to the file ``output`` whole, or leave no file at all.

    The bytes go to a temporary file in the same directory, are synced, and only then
    renamed over ``output``: a full disk, a size limit or an interrupted run leaves
    neither a 0-byte nor a half-written document where a person will look for it (and
    an earlier file of that name stays as it was).

    Raises:
        OSError: the file could not be written, with ``output`` as its file name.

    """
    with file_writer(output) as stream:
        stream.write(payload)


@contextlib.contextmanager
def file_writer(output: str) -> Iterator[IO[bytes]]:
    """A stream to the file ``output``, which appears whole when the block ends, or not at all.

    As :func:`write_file`, for a document written a piece at a time: the pieces go to a
    temporary file beside ``output``, renamed over it only after the block ended without
    an error (and the bytes were synced).

    Raises:
        OSError: the file could not be written, with ``output`` as its file name.

    """
    import tempfile

    target = os.path.abspath(output)
    try:
        handle, temporary = tempfile.mkstemp(
            dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.", suffix=".part"
        )
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, output) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        # Issue 17: an export holds the record; readable by its owner only (mkstemp
        # made it 0600 already: said again so that no later change loosens it).
        os.chmod(temporary, PRIVATE_FILE)
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise type(exc)(exc.errno, exc.strerror, output) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def document_writer(output: str | None, fmt: DocumentFormat) -> Iterator[IO[bytes]]:
    """Where a document is streamed: the file ``output`` (whole or not at all) or stdout.

    :func:`write_document` for a document written a piece at a time: an export of any
    number of rows never holds them. On stdout, a binary format is refused on a terminal.

    Raises:
        typer.BadParameter: a binary format with stdout a terminal, or stdout text-only.

    """
    if output is not None and output != "-":
        with file_writer(output) as stream:
            yield stream
        return
    if fmt.binary and sys.stdout.isatty():
        raise typer.BadParameter(
            t("cli.error.binary_to_terminal", format=fmt.value),
            param_hint="--format",
        )
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # a text-only stdout (tests capture this way)
        if fmt.binary:
            raise typer.BadParameter(t("cli.error.text_only", format=fmt.value))
        yield cast("IO[bytes]", _TextOnly(sys.stdout))  # text formats only: whole UTF-8
        return
    sys.stdout.flush()
    yield binary
    binary.flush()


class _TextOnly(io.RawIOBase):
    """UTF-8 bytes written to a stdout that takes text only (a test's capture)."""

    def __init__(self, target: IO[str]) -> None:
        super().__init__()
        self._target = target

    def writable(self) -> bool:
        """It is written to."""
        return True

    def write(self, data: Any) -> int:
        """Write ``data`` (UTF-8, whole pieces of text) as text."""
        self._target.write(bytes(data).decode("utf-8"))
        return len(data)


class TextSink:
    """Text pieces written to a byte stream as UTF-8, gathered so each write is large."""

    def __init__(self, stream: IO[bytes], size: int = 1 << 16) -> None:
        self._stream = stream
        self._pending: list[str] = []
        self._count = 0
        self._size = size

    def write(self, text: str) -> None:
        """Add ``text``; written out once enough has gathered."""
        self._pending.append(text)
        self._count += len(text)
        if self._count >= self._size:
            self.flush()

    def flush(self) -> None:
        """Write out what has gathered."""
        if self._pending:
            self._stream.write("".join(self._pending).encode("utf-8"))
            self._pending, self._count = [], 0


def write_document(data: str | bytes, output: str | None, fmt: DocumentFormat) -> None:
    """Write a rendered document to ``output`` (a file) or stdout.

    Text goes to stdout as UTF-8 bytes, whatever the terminal's locale; a binary format is
    refused on a terminal (it would only garble the screen).

    Raises:
        typer.BadParameter: a binary format with stdout a terminal.

    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with document_writer(output, fmt) as stream:  # one path for whole and streamed documents
        stream.write(payload)
