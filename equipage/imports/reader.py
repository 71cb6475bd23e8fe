"""Reading a roster file (CSV in any usual dialect and encoding, or XLSX) into rows of text.

Pure: bytes in, a ``Table`` out, never an exception for bad input — problems
become ``Problem`` entries with a line and a column.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from equipage.imports.problems import msg

XLSX_MAGIC = b"PK\x03\x04"
_HEAD_SIZE = 1 << 16  # the first read for the header line; grown as needed
# Workbooks whose sheets unzip to more than this are read by openpyxl, in bounded memory.
CALAMINE_MAX_SHEETS = 100 * 1024 * 1024
MAX_CELL = 100_000


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
    """Read CSV or XLSX bytes into a table; the first non-empty row is the header."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        table, chunks = xlsx_chunks(data)
    else:
        table, chunks = csv_chunks(data)
    for chunk in chunks:
        table.rows.extend(chunk)
    return table


def decode(data: bytes) -> tuple[str, str]:
    """Return the text and the encoding: UTF-8 (BOM or not), UTF-16 with BOM, else detected.

    French Excel writes Windows-1252; when the detector hesitates between the
    Latin encodings and cp1252 decodes cleanly, cp1252 wins.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        cp1252 = data.decode("cp1252")
    except UnicodeDecodeError:
        cp1252 = None
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    guess = best.encoding if best is not None else None
    latin = {"cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "mac_roman", "cp850"}
    if cp1252 is not None and (guess is None or guess in latin):
        return cp1252, "cp1252"
    if guess:
        try:
            return data.decode(guess), guess
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("cp1252", errors="replace"), "cp1252"


def encoding_of(data: bytes | Path) -> str:
    """Return the encoding ``decode`` settles on, without holding a big UTF-8 file's text.

    A file that is UTF-8 (most are) is checked a megabyte at a time; only
    one that is not is read and decoded whole, as ``decode`` does.
    """
    head = _head(data, 3)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in _blocks(data):
            decoder.decode(block)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return decode(data.read_bytes() if isinstance(data, Path) else data)[1]


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
    """Return the file's first characters, enough to hold its first filled line whole."""
    size = _HEAD_SIZE
    while True:
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
    encoding = encoding_of(data)
    delimiter = sniff_delimiter(_head_text(data, encoding))
    table = Table(headers=[], rows=[], encoding=encoding, delimiter=delimiter, kind="csv")
    # Decoded a buffer at a time, as the CSV reader asks: holding the whole text (and
    # StringIO's own wider copy of it) beside the rows cost three times the file.
    # For every encoding ``decode`` settles on, this yields the same characters.
    raw: BinaryIO = data.open("rb") if isinstance(data, Path) else io.BytesIO(data)
    stream = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    records = _records(csv.reader(stream, delimiter=delimiter), table)
    for line, row in records:
        if _take(table, line, row):
            return table, _chunks(records, table, size, stream)
    stream.close()
    return table, iter(())


def _records(reader: Iterator[list[str]], table: Table) -> Iterator[tuple[int, list[str]]]:
    """Yield (record number, cells); a record the CSV reader refuses becomes a problem."""
    record = 0
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
        yield record, row


def _chunks(
    records: Iterator[tuple[int, list[str]]], table: Table, size: int, stream: IO[str] | None
) -> Iterator[list[tuple[int, list[str]]]]:
    try:
        chunk: list[tuple[int, list[str]]] = []
        for line, row in records:
            if "".join(row).strip():  # blank exactly when every cell is
                chunk.append((line, row))
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
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


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def xlsx_chunks(
    data: bytes | Path, size: int = 20_000
) -> tuple[Table, Iterator[list[tuple[int, list[str]]]]]:
    """Read an XLSX workbook's first sheet as ``csv_chunks`` reads a CSV file.

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
    try:
        for line, row in _xlsx_rows(data):
            yield line, [_cell_text(v) for v in row]
    except Exception as exc:  # a damaged workbook is the user's problem to fix, not a crash
        table.problems.append(Problem(1, "", msg("xlsx_unreadable", {"e": exc})))


def _xlsx_rows(data: bytes | Path) -> Iterator[tuple[int, list[object]]]:
    """Yield (spreadsheet row number, values) of the first sheet.

    Calamine reads a sheet about seven times faster than openpyxl, but holds
    it whole (about the size of its XML: a million rows, 500 MB). A bigger
    sheet is streamed by openpyxl's read-only reader, in bounded memory.
    """
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is a dependency; openpyxl is the fallback
        yield from _openpyxl_rows(data)
        return
    if _sheets_size(data) > CALAMINE_MAX_SHEETS:
        yield from _openpyxl_rows(data)
        return
    if isinstance(data, Path):
        book = CalamineWorkbook.from_path(str(data))
    else:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheet = book.get_sheet_by_index(0)
    # Calamine starts at the first used cell; keep the row numbers the user sees.
    first_row = (sheet.start or (0, 0))[0]
    for index, row in enumerate(sheet.iter_rows()):
        yield first_row + index + 1, list(row)


def _sheets_size(data: bytes | Path) -> int:
    """Return the size of the workbook's sheets once unzipped (0 when it is no zip file)."""
    try:
        with zipfile.ZipFile(data if isinstance(data, Path) else io.BytesIO(data)) as book:
            return sum(
                item.file_size
                for item in book.infolist()
                if item.filename.startswith("xl/worksheets/")
            )
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0  # the reader says what is wrong with it


def _openpyxl_rows(data: bytes | Path) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    source = data if isinstance(data, Path) else io.BytesIO(data)
    book = load_workbook(source, read_only=True, data_only=True)
    try:
        for index, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            yield index, list(row)
    finally:
        book.close()
