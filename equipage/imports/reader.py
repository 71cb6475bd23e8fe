"""Reading a roster file (CSV in any usual dialect and encoding, XLSX or ODS) into rows of text.

Pure: bytes in, a ``Table`` out. Problems become ``Problem`` entries with a
line and a column; the one exception is a file beyond a bound of ``limits``
(too many lines, columns, cells, shared strings, a zip bomb...), refused with
``limits.FileRefused`` before its cells are read (or, for a CSV file, at the
first line past the bound).

One decoding rule: a file is UTF-8 (with or without BOM), UTF-16 (with BOM)
or, when it is not UTF-8 at all, the legacy encoding detected (Windows-1252
as Excel writes it). Bytes the settled encoding cannot decode are an error
naming their line — never re-read as another encoding, never U+FFFD.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from equipage.imports import limits
from equipage.imports.problems import msg

XLSX_MAGIC = b"PK\x03\x04"  # a zip: an XLSX workbook or an ODS spreadsheet
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
_HEAD_SIZE = 1 << 16  # the first read for the header line; grown as needed
# Workbooks whose sheets unzip to more than this are read by openpyxl, in bounded memory.
CALAMINE_MAX_SHEETS = 100 * 1024 * 1024
MAX_CELL = 100_000
# A list of lines holds at most this many cells (a wide file comes in shorter lists).
CHUNK_CELLS = 400_000
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MARK_ERRORS = "equipage-mark"  # decoding errors handler: an undecodable byte becomes a mark
_MARKED = re.compile("[\udc00-\udcff]")


def _mark(exc: UnicodeError) -> tuple[str, int]:
    """Turn each undecodable byte into the lone surrogate U+DC00 + byte.

    No valid UTF-8, UTF-16 or legacy decoding yields a lone surrogate, so a
    line holding one had bytes its encoding cannot read.
    """
    if isinstance(exc, UnicodeDecodeError):
        return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end
    raise exc


codecs.register_error(MARK_ERRORS, _mark)


@dataclass(frozen=True, slots=True)
class Problem:
    """One error found in the file: ``line`` counts the header as 1; ``column`` as written."""

    line: int
    column: str
    message: str  # a ``problems.Message``: its code and parameters word it in any language
    who: str = field(default="", compare=False)  # the person on that line, when known

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {
            "line": self.line,
            "column": self.column,
            "message": str(self.message),
            "code": getattr(self.message, "code", ""),
        }
        params = getattr(self.message, "params", None)
        if params:
            found["params"] = params
        if self.who:
            found["who"] = self.who
        return found


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str = ""
    delimiter: str = ""
    kind: str = "csv"
    header_line: int = 1
    problems: list[Problem] = field(default_factory=list)


def read_table(data: bytes, filename: str = "") -> Table:
    """Read CSV, XLSX or ODS bytes into a table; the first non-empty row is the header."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(WORKBOOK_SUFFIXES):
        table, chunks = xlsx_chunks(data)
    else:
        table, chunks = csv_chunks(data)
    for chunk in chunks:
        table.rows.extend(chunk)
    return table


def decode(data: bytes) -> tuple[str, str]:
    """Return the text and the encoding ``settle_encoding`` settles on (bad bytes: U+FFFD)."""
    encoding, _clean = settle_encoding(data)
    return data.decode(encoding, errors="replace"), encoding


def settle_encoding(data: bytes | Path) -> tuple[str, bool]:
    """Return the file's encoding, and whether every byte of it decodes in that encoding.

    A byte order mark declares UTF-8 or UTF-16. Without one, a file that
    decodes as UTF-8 is UTF-8. One that does not is still UTF-8 — with bad
    bytes, each an error of its line — when it holds more valid multi-byte
    UTF-8 characters than invalid bytes, or as many: a cp1252 file's accents
    are almost all invalid UTF-8 (and hardly ever form one valid character),
    a UTF-8 file with one stray byte has its accents valid (« Élodie » with
    one bad byte beside it never becomes « ﾃ瑛odie » nor « Ã‰lodie »). Otherwise the legacy encoding is
    detected; French Excel writes Windows-1252, which wins when the detector
    hesitates between the Latin encodings and cp1252 decodes cleanly.
    """
    head = _head(data, 3)
    if head.startswith(UTF8_BOM):
        return "utf-8-sig", _decodes(data, "utf-8-sig")
    if head.startswith(UTF16_BOMS):
        return "utf-16", _decodes(data, "utf-16")
    if _decodes(data, "utf-8"):
        return "utf-8", True
    invalid, valid = _utf8_damage(data)
    if valid and valid >= invalid:
        return "utf-8", False
    encoding = _legacy_encoding(data.read_bytes() if isinstance(data, Path) else data)
    return encoding, _decodes(data, encoding)


def encoding_of(data: bytes | Path) -> str:
    """Return the encoding ``settle_encoding`` settles on."""
    return settle_encoding(data)[0]


def _decodes(data: bytes | Path, encoding: str) -> bool:
    """Say whether the whole file decodes in ``encoding``, a megabyte at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for block in _blocks(data):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _utf8_damage(data: bytes | Path) -> tuple[int, int]:
    """Return (invalid bytes, valid non-ASCII characters) of the file read as UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors=MARK_ERRORS)
    invalid = valid = 0
    for block in [*_blocks(data), b""]:
        text = decoder.decode(block, final=not block)
        if not text.isascii():
            bad = len(_MARKED.findall(text))
            invalid += bad
            valid += len(text) - len(text.encode("ascii", "ignore")) - bad
    return invalid, valid


def _legacy_encoding(data: bytes) -> str:
    """Return the legacy encoding of a file that is not UTF-8 (cp1252 when in doubt)."""
    try:
        data.decode("cp1252")
        cp1252 = True
    except UnicodeDecodeError:
        cp1252 = False
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    guess = best.encoding if best is not None else None
    latin = {"cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "mac_roman", "cp850"}
    if cp1252 and (guess is None or guess in latin):
        return "cp1252"
    if guess and guess not in ("utf_8", "utf-8") and _decodes(data, guess):
        return guess
    return "cp1252"


def _head(data: bytes | Path, size: int) -> bytes:
    if isinstance(data, Path):
        with data.open("rb") as file:
            return file.read(size)
    return data[:size]


def _blocks(data: bytes | Path, size: int = 1 << 20) -> Iterator[bytes | memoryview]:
    if isinstance(data, Path):
        with data.open("rb") as file:
            while block := file.read(size):
                yield block
    else:
        view = memoryview(data)
        for start in range(0, len(view), size):
            yield view[start : start + size]


def _head_text(data: bytes | Path, encoding: str) -> str:
    """Return the file's first characters, enough to hold its first filled line whole.

    Grown up to a few times ``limits.MAX_LINE_CHARS``: a first line longer
    than that refuses the file, before it is read whole.
    """
    size = _HEAD_SIZE
    while True:
        if size > 4 * limits.MAX_LINE_CHARS + _HEAD_SIZE:
            raise limits.too_long_line(1)
        raw = _head(data, size)
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        whole = len(raw) < size
        text = decoder.decode(raw, final=whole)  # a byte order mark is not part of it
        lines = text.splitlines()
        complete = lines if whole else lines[:-1]  # the last line may be cut
        if whole or any(line.strip() for line in complete):
            return text if whole else "\n".join(complete)
        size *= 4


def sniff_delimiter(text: str) -> str:
    """Pick ``;``, ``,`` or tab: the one the header line holds most of (outside quotes)."""
    first = _first_filled_line(text)
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


def _first_filled_line(text: str) -> str:
    """Return the first line with something in it, as ``text.splitlines()`` would cut it.

    Reads a growing prefix only: splitting a whole million-line file to look
    at its header cost a copy of every line.
    """
    size = 1 << 16
    while True:
        part = text[:size]
        whole = size >= len(text)
        lines = part.splitlines()
        for line in lines if whole else lines[:-1]:  # the prefix's last line may be cut
            if line.strip():
                return line
        if whole:
            return ""
        size *= 4


def csv_chunks(
    data: bytes | Path, size: int = 20_000
) -> tuple[Table, Iterator[list[tuple[int, list[str]]]]]:
    """Read CSV bytes up to the header; return the table so far and its data lines, lazily.

    The lines come in lists of at most ``size`` (blank ones dropped, as
    ``read_table`` does); reading problems are added to the table's as they
    are met, so they are complete once the lines are exhausted. A caller that
    checks each list and lets it go never holds the whole file's cells.

    Given a path, the file is read whole once to settle its encoding and
    delimiter, then its lines are read from the disk as they are asked for:
    its bytes are not held meanwhile (a million lines: 80 MB).
    """
    limits.check_file_size(limits.size_of(data))
    encoding, clean = settle_encoding(data)
    delimiter = sniff_delimiter(_head_text(data, encoding))
    table = Table(headers=[], rows=[], encoding=encoding, delimiter=delimiter, kind="csv")
    # Decoded a buffer at a time, as the CSV reader asks: holding the whole text (and
    # StringIO's own wider copy of it) beside the rows cost three times the file.
    # For every encoding ``settle_encoding`` settles on, this yields the same characters.
    raw: BinaryIO = data.open("rb") if isinstance(data, Path) else io.BytesIO(data)
    stream = io.TextIOWrapper(raw, encoding=encoding, errors=MARK_ERRORS, newline="")
    reader = csv.reader(_bounded_lines(stream), delimiter=delimiter)
    records = _records(reader, table, None if clean else encoding)
    try:
        for line, row in records:
            if _take(table, line, row):
                return table, _chunks(records, table, size, stream)
    except BaseException:
        stream.close()
        raise
    stream.close()
    return table, iter(())


def _bounded_lines(stream: IO[str]) -> Iterator[str]:
    """Yield the stream's lines, refusing one longer than ``limits.MAX_LINE_CHARS``.

    Read with a bound, so that a one-line 200 MB file is refused after a
    megabyte, not held whole (and split into millions of cells) first.
    """
    readline = stream.readline
    bound = limits.MAX_LINE_CHARS
    number = 0
    while line := readline(bound):
        number += 1
        if len(line) == bound and line[-1] not in "\r\n":
            raise limits.too_long_line(number)
        yield line


def _records(
    reader: Iterator[list[str]], table: Table, damaged: str | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield (record number, cells); a record the CSV reader refuses becomes a problem.

    ``damaged`` names the encoding of a file some of whose bytes it cannot
    decode: each line holding such bytes is a problem (its cells keep U+FFFD
    for display; the file's errors stop the import anyway). A line past
    ``limits.MAX_LINES`` or wider than ``limits.MAX_COLUMNS`` refuses the file.
    """
    record = 0
    max_lines, max_columns = limits.MAX_LINES, limits.MAX_COLUMNS
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            record += 1
            table.problems.append(Problem(record, "", msg("line_unreadable", {"e": exc})))
            continue
        record += 1
        if record > max_lines:
            raise limits.too_many_lines()
        if len(row) > max_columns:
            raise limits.too_many_columns(record)
        if damaged is not None and _MARKED.search("".join(row)):
            table.problems.append(_bad_bytes(record, damaged))
            row = [_MARKED.sub("\ufffd", cell) for cell in row]
        yield record, row


def _bad_bytes(line: int, encoding: str) -> Problem:
    name = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16"}.get(encoding, encoding)
    return Problem(line, "", msg("line_bad_bytes", {"encoding": name}))


def _chunks(
    records: Iterator[tuple[int, list[str]]], table: Table, size: int, stream: IO[str] | None
) -> Iterator[list[tuple[int, list[str]]]]:
    """Yield the non-blank lines in lists of at most ``size`` lines and ``CHUNK_CELLS`` cells."""
    try:
        chunk: list[tuple[int, list[str]]] = []
        cells = 0
        for line, row in records:
            if "".join(row).strip():  # blank exactly when every cell is
                chunk.append((line, row))
                cells += len(row)
                if len(chunk) >= size or cells >= CHUNK_CELLS:
                    yield chunk
                    chunk = []
                    cells = 0
        if chunk:
            yield chunk
    finally:
        if stream is not None:
            stream.close()


def _take(table: Table, line: int, row: list[str]) -> bool:
    """Add a non-blank row to the table (the first one is the header); say if it was the header."""
    if not "".join(row).strip():  # blank exactly when every cell is
        return False
    if not table.headers:
        table.headers = [cell.strip() for cell in row]
        table.header_line = line
        return True
    table.rows.append((line, row))
    return False


class NumberCell(str):
    """The text of a workbook cell the spreadsheet holds as a number, not as text."""

    __slots__ = ()
    kind = "number"


class DateCell(str):
    """The text of a workbook cell the spreadsheet holds as a date or a time."""

    __slots__ = ()
    kind = "date"


class BooleanCell(str):
    """The text (TRUE or FALSE) of a workbook cell the spreadsheet holds as a boolean."""

    __slots__ = ()
    kind = "boolean"


TYPED_CELLS = (NumberCell, DateCell, BooleanCell)


def _cell_text(value: object) -> str:
    """Return a workbook cell's text; a number, date or boolean keeps its kind (``TYPED_CELLS``).

    An identifier held as a number, a date or a boolean is the spreadsheet
    trap's mark (``validate`` says so): ``00123`` read as 123, ``1/3`` as a date.
    """
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, bool):
        return BooleanCell("TRUE" if value else "FALSE")
    if isinstance(value, float):
        return NumberCell(str(int(value)) if value.is_integer() else repr(value))
    if isinstance(value, int):
        return NumberCell(value)
    if isinstance(value, dt.datetime):
        return DateCell(
            value.date().isoformat() if value.time() == dt.time() else value.isoformat()
        )
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return DateCell(value.isoformat() if not isinstance(value, dt.timedelta) else value)
    return str(value)


def xlsx_chunks(
    data: bytes | Path, size: int = 20_000
) -> tuple[Table, Iterator[list[tuple[int, list[str]]]]]:
    """Read an XLSX workbook's or ODS spreadsheet's first sheet as ``csv_chunks`` reads CSV.

    The header is read now, the data lines lazily, in lists of at most
    ``size``. A damaged workbook is a problem of the table, never an
    exception, wherever it is found.
    """
    table = Table(headers=[], rows=[], kind="xlsx")
    records = _workbook_records(data, table)
    for line, row in records:
        if _take(table, line, row):
            return table, _chunks(records, table, size, None)
    return table, iter(())


def _workbook_records(data: bytes | Path, table: Table) -> Iterator[tuple[int, list[str]]]:
    max_lines, max_columns = limits.MAX_LINES, limits.MAX_COLUMNS
    try:
        for line, row in _xlsx_rows(data, table):
            if line > max_lines:
                raise limits.too_many_lines()
            if len(row) > max_columns:
                while row and row[-1] in (None, ""):
                    row.pop()
                if len(row) > max_columns:
                    raise limits.too_many_columns(line)
            yield line, [_cell_text(v) for v in row]
    except limits.FileRefused:
        raise
    except Exception as exc:  # a damaged workbook is the user's problem to fix, not a crash
        code = "ods_unreadable" if table.kind == "ods" else "xlsx_unreadable"
        table.problems.append(Problem(1, "", msg(code, {"e": exc})))


def _xlsx_rows(
    data: bytes | Path, table: Table | None = None
) -> Iterator[tuple[int, list[object]]]:
    """Yield (spreadsheet row number, values) of the first sheet.

    The workbook is first checked against ``limits`` (its zip directory, then
    its parts' bytes): past a bound, it is refused before any cell is read.
    Calamine reads a sheet about seven times faster than openpyxl, but holds
    it whole (about the size of its XML: a million rows, 500 MB), spread over
    the rectangle its cell references span. A bigger sheet, or one whose
    references may span more than ``limits.CALAMINE_MAX_CELLS``, is streamed
    by openpyxl's read-only reader, in bounded memory. An ODS spreadsheet
    (``table.kind`` becomes "ods") is read by calamine alone, within
    ``limits.MAX_ODS_CELLS``; one that is not well-formed is not read at all.
    """
    shape = limits.check_workbook(data)
    if shape.ods:
        if table is not None:
            table.kind = "ods"
        if not shape.calamine_safe:
            raise ValueError("content.xml")
        yield from _ods_rows(data)
        return
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is a dependency; openpyxl is the fallback
        yield from _openpyxl_rows(data)
        return
    if not limits.calamine_fits(shape):
        yield from _openpyxl_rows(data)
        return
    if isinstance(data, Path):
        book = CalamineWorkbook.from_path(str(data))
    else:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    yield from _calamine_sheet_rows(book)


def _ods_rows(data: bytes | Path) -> Iterator[tuple[int, list[object]]]:
    """Yield (row number, values) of an ODS spreadsheet's first sheet (checked by ``limits``).

    Opened from its bytes: calamine picks the format from a path's suffix,
    and an upload is spooled under another one.
    """
    from python_calamine import CalamineWorkbook

    if isinstance(data, Path):
        with data.open("rb") as file:
            book = CalamineWorkbook.from_filelike(file)
    else:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    yield from _calamine_sheet_rows(book)


def _calamine_sheet_rows(book: Any) -> Iterator[tuple[int, list[object]]]:
    """Yield (row number, values) of a calamine workbook's first sheet.

    Calamine starts at the first used cell; the numbers are the rows the user sees.
    """
    sheet = book.get_sheet_by_index(0)
    first_row = (sheet.start or (0, 0))[0]
    for index, row in enumerate(sheet.iter_rows()):
        yield first_row + index + 1, list(row)


def _openpyxl_rows(data: bytes | Path) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    source = data if isinstance(data, Path) else io.BytesIO(data)
    book = load_workbook(source, read_only=True, data_only=True)
    try:
        for index, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            yield index, list(row)
    finally:
        book.close()
