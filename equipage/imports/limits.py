"""The bounds a roster file must stay within, checked before its cells are read.

An 887 KB workbook holding one row of 8 million cells drove the import past
5 GB, a 613 KB shared-strings table past 2 GB: calamine holds a sheet whole
(and spreads it over the rectangle its cell references span), openpyxl holds a
row whole. So a workbook is refused, with an error naming the bound, on what
its zip directory declares (sizes, ratios, entries) and on a scan of its
parts' bytes a megabyte at a time — rows, cells per row, cell references,
shared strings counted with C-speed byte searches — before either reader
builds a single cell. A CSV file is bounded line by line as it is read.

The README's "Import limits" section lists these numbers; keep them in step.
"""

from __future__ import annotations

import functools
import io
import operator
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from equipage.core.errors import ValidationFailed

MB = 1024 * 1024
MAX_FILE_BYTES = 200 * MB  # the file as uploaded (a CSV file, or a workbook's zip)
MAX_LINES = 1_048_576  # lines of a CSV file or rows of a sheet, the header included (Excel's)
MAX_COLUMNS = 200  # cells in one line or row
MAX_LINE_CHARS = 1_000_000  # characters of one CSV line
MAX_UNZIPPED_BYTES = 1024 * MB  # a workbook's parts once unzipped (a 1M-member export: 525 MB)
MAX_ZIP_ENTRIES = 1000  # parts of a workbook (a plain one has about ten)
MAX_CENTRAL_DIRECTORY = 1 * MB  # the zip's table of contents, read before anything else
MAX_RATIO = 100  # unzipped / zipped size of a part over RATIO_FLOOR (exports: about 14)
RATIO_FLOOR = 10 * MB
MAX_SHARED_STRINGS = 4_000_000  # entries of the shared-strings table (a 1M-member roster: ~2M)
# Calamine spreads a sheet over the rectangle its cells span (32 bytes a cell); a sheet
# whose rectangle may be larger than this is streamed by openpyxl instead.
CALAMINE_MAX_CELLS = 10_000_000
# An ODS spreadsheet has no streaming reader: calamine holds every sheet whole, a value and a
# formula per cell (about 56 bytes), repeated cells and rows written out. Bounded beyond that.
MAX_ODS_CELLS = 5_000_000
ODS_CONTENT = "content.xml"  # the part of an ODS file that holds its sheets

_BLOCK = 1 << 20
_ZIP_END = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"


class FileRefused(ValidationFailed):
    """The file crosses one of the import's bounds; nothing of it is read further."""

    code = "file_limit"
    status = 422


def refuse(message: str) -> FileRefused:
    return FileRefused(message, field="file")


def _letters(index: int) -> str:
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def too_many_columns(line: int) -> FileRefused:
    return refuse(
        _(
            "Line %(line)d has more cells than the %(max)d columns an import takes "
            "(up to column %(col)s). Remove the extra columns and try again."
        )
        % {"line": line, "max": MAX_COLUMNS, "col": _letters(MAX_COLUMNS)}
    )


def too_many_lines() -> FileRefused:
    return refuse(
        _("The file has more than %(max)s lines, the most an import takes. Split it.")
        % {"max": f"{MAX_LINES:,}"}
    )


def too_long_line(line: int) -> FileRefused:
    return refuse(
        _("Line %(line)d is longer than %(max)s characters, the most an import takes.")
        % {"line": line, "max": f"{MAX_LINE_CHARS:,}"}
    )


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise refuse(
            _("This file is too large: %(max)d MB at most.") % {"max": MAX_FILE_BYTES // MB}
        )


def size_of(data: bytes | Path) -> int:
    return data.stat().st_size if isinstance(data, Path) else len(data)


def check_file(data: bytes | Path, filename: str = "") -> None:
    """Refuse at once a file past the bounds that can be checked before reading it.

    For an upload answered later (a background preview): the size, and for a
    workbook its zip directory and parts. A CSV file's lines are bounded as
    they are read.
    """
    check_file_size(size_of(data))
    head = data[:4] if isinstance(data, bytes) else _first_bytes(data)
    if head == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm", ".ods")):
        check_workbook(data)


def _first_bytes(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(4)


# --- workbooks -------------------------------------------------------------------------------


@dataclass
class SheetShape:
    """What the scan found of the workbook's sheets (the largest of each, over every part)."""

    rows: int = 0
    widest_row: int = 0
    sheet_bytes: int = 0
    calamine_safe: bool = True
    ods: bool = False  # an OpenDocument spreadsheet (its sheets in ``content.xml``)


# A cell or row reference beyond MAX_COLUMNS (GR) or MAX_LINES (1,048,576), as every writer
# spells them (` r="…"`): looked for once a reference ahead of the rows is found. A sheet
# streamed by openpyxl is bounded row by row by the reader instead (``_workbook_records``).
_BEYOND = re.compile(
    rb' r="\$?(?:[A-Za-z]{3}|[H-Zh-z][A-Za-z]|[Gg][S-Zs-z]'
    rb"|[A-Za-z]{0,2}\$?0*(?:\d{8}|[2-9]\d{6}|1[1-9]\d{5}|10[5-9]\d{4}|104[89]\d{3}"
    rb"|1048[6-9]\d{2}|10485[89]\d|104857[7-9]))"
)
# Spellings of a reference that the searches below would miss (blanks made spaces first).
_ODD_REFERENCES = (b" r='", b" r =", b" r= ", b' r="&', b' r=" ')
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


def check_workbook(data: bytes | Path) -> SheetShape:
    """Refuse a workbook beyond the bounds; return the shape of its sheets.

    Reads the zip's directory, then every part a megabyte at a time through
    ``zipfile`` (which stops at each part's declared size and checks its
    CRC): whatever the parts are named, none can hide a sheet or a string
    table that was not counted. Stops at the first bound crossed.
    """
    check_file_size(size_of(data))
    with data.open("rb") if isinstance(data, Path) else io.BytesIO(data) as raw:
        _check_directory_size(raw)
        try:
            book = zipfile.ZipFile(raw)
        except (zipfile.BadZipFile, OSError, ValueError):
            return SheetShape()  # the reader says what is wrong with it
        with book:
            infos = book.infolist()
            _check_entries(infos)
            shape = SheetShape()
            strings = 0
            for info in infos:
                if info.is_dir():
                    continue
                try:
                    if info.filename == ODS_CONTENT:
                        _scan_ods_content(book, info, shape)
                    strings += _scan_part(book, info, shape)
                except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
                    # Damaged or encrypted: Python's zip reader (openpyxl's) refuses it too,
                    # and says so; calamine, which might read past a lying size, does not get it.
                    shape.calamine_safe = False
                if strings > MAX_SHARED_STRINGS:
                    raise refuse(
                        _("The workbook holds more than %(max)s shared strings.")
                        % {"max": f"{MAX_SHARED_STRINGS:,}"}
                    )
            return shape


def _check_directory_size(raw: IO[bytes]) -> None:
    """Refuse a zip whose table of contents is too big, before ``zipfile`` reads it whole."""
    raw.seek(0, io.SEEK_END)
    size = raw.tell()
    tail_size = min(size, 65_536 + 22)
    raw.seek(size - tail_size)
    tail = raw.read(tail_size)
    raw.seek(0)
    end = tail.rfind(_ZIP_END)
    if end < 0 or end + 22 > len(tail):
        return  # no zip at all: the reader says so
    entries, directory = struct.unpack("<HI", tail[end + 10 : end + 16])
    if entries == 0xFFFF or directory == 0xFFFFFFFF:
        locator = end - 20
        if locator >= 0 and tail[locator : locator + 4] == _ZIP64_LOCATOR:
            (record,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
            raw.seek(record)
            head = raw.read(56)
            raw.seek(0)
            if len(head) == 56 and head[:4] == b"PK\x06\x06":
                entries, directory = struct.unpack("<QQ", head[32:48])
    if entries > MAX_ZIP_ENTRIES or directory > MAX_CENTRAL_DIRECTORY:
        raise _too_many_parts()


def _too_many_parts() -> FileRefused:
    return refuse(
        _("This workbook has too many parts (%(max)d at most).") % {"max": MAX_ZIP_ENTRIES}
    )


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _too_many_parts()
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise refuse(
                _(
                    "This workbook unzips to more than %(ratio)d times its size "
                    "(a zip bomb): it is refused."
                )
                % {"ratio": MAX_RATIO}
            )
    if total > MAX_UNZIPPED_BYTES:
        raise refuse(
            _("This workbook unzips to more than %(max)d MB, the most an import reads.")
            % {"max": MAX_UNZIPPED_BYTES // MB}
        )


_CELL_TOKENS = tuple(p + t for p in (b"<c", b":c") for t in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
_PREFIXED_CELLS = _CELL_TOKENS[6:]
_OVERLAP = 40  # longer than any word searched for: yes/no checks see what straddles a block


def _scan_part(book: zipfile.ZipFile, info: zipfile.ZipInfo, shape: SheetShape) -> int:
    """Scan one part's bytes; update ``shape``; return its shared-string entries.

    Counted: rows (``<row``), cells in each (``<c`` followed by a blank, ``>`` or
    ``/``, with or without a namespace prefix: every spelling a parser takes),
    shared strings (``<si``). A word is never counted twice: each block is cut
    before its last ``<`` or ``:`` near the end, the rest kept for the next.

    While the sheet stays fit for calamine, each block's cell references are
    checked against the rows and widest row counted so far (rounded up): a
    writer's sheet never refers ahead of its rows; a reference that does makes
    the sheet openpyxl's (refused if beyond the bounds).
    """
    rows = 0
    row_cells = 0  # cells of the row the previous block ended in
    strings = 0
    in_rows = has_cells = False
    carry = tail = b""
    # Calamine holds a sheet only up to CALAMINE_MAX_SHEETS: past that, no need to check.
    for_calamine = shape.sheet_bytes + info.file_size <= calamine_max_sheets()
    with book.open(info) as part:
        for number, block in enumerate(_blocks(part)):
            buf = carry + block
            cut = _safe_cut(buf) if len(block) == _BLOCK else len(buf)
            buf, carry = buf[:cut], buf[cut:]
            window = tail + buf  # for yes/no questions, which may see a word twice
            tail = buf[-_OVERLAP:]
            if number == 0:
                if b"<!" in window and any(word in window for word in _FORBIDDEN):
                    raise refuse(_("This workbook declares a document type (DTD): it is refused."))
                table = b"sst" in window[:4096]  # the root of a shared-strings table
            if not in_rows and b"dimension" in window:
                _check_dimension(window)
            if table:
                strings += buf.count(b"<si") + buf.count(b":si")
                if strings > MAX_SHARED_STRINGS:
                    return strings
            prefixed = b":c" in buf and (
                b":row" in buf or any(token in buf for token in _PREFIXED_CELLS)
            )
            segments = re.split(rb"[<:]row\b", buf) if prefixed else buf.split(b"<row")
            counts = _cell_counts(segments, buf, prefixed)
            has_cells = has_cells or any(counts)
            counts[0] = counts[0] + row_cells if in_rows else 0  # before the first row: no row
            in_rows = in_rows or len(segments) > 1
            rows += len(segments) - 1
            widest = max(counts)
            if widest > MAX_COLUMNS:
                line = rows - (len(counts) - 1 - counts.index(widest))
                raise too_many_columns(max(line, 1))
            if rows > MAX_LINES:
                raise too_many_lines()
            shape.widest_row = max(shape.widest_row, widest)
            row_cells = counts[-1]
            if not (for_calamine and shape.calamine_safe and has_cells):
                continue  # parts without cells (themes, styles) are no sheet for calamine
            if prefixed or not _fit_for_calamine(window, max(rows, shape.rows), shape):
                shape.calamine_safe = False
    if in_rows:
        shape.rows = max(shape.rows, rows)
        shape.sheet_bytes += info.file_size
    return strings


_ODS_VALUE_ATTRIBUTES = (
    "office:value-type",
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
    "table:formula",
)
_ODS_CELLS = ("table:table-cell", "table:covered-table-cell")


class _OdsBounds:
    """Count an ODS sheet's rows and cells as calamine writes them out, repeats included.

    Calamine writes out a filled cell ``number-columns-repeated`` times, the
    empty cells before a filled one, a row ``number-rows-repeated`` times
    and the empty rows before a filled one; it holds every sheet. Trailing
    empty cells and rows cost nothing (LibreOffice writes a million of them).
    """

    def __init__(self, shape: SheetShape) -> None:
        self.shape = shape
        self.total = 0  # cells of the sheets read so far, each as its rectangle
        self.rows = self.widest = 0  # of the sheet being read
        self.empty_rows = 0  # empty rows since the last filled one
        self.row_repeats = 0
        self.cells = self.empty_cells = 0  # of the row being read
        self.in_row = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "table:table":
            self._close_sheet()
        elif name == "table:table-row":
            self.in_row = True
            self.row_repeats = _repeats(attributes, "table:number-rows-repeated")
            self.cells = self.empty_cells = 0
        elif name in _ODS_CELLS and self.in_row:
            repeats = _repeats(attributes, "table:number-columns-repeated")
            if any(key in attributes for key in _ODS_VALUE_ATTRIBUTES):
                self.cells += self.empty_cells + repeats
                self.empty_cells = 0
                if self.cells > MAX_COLUMNS:
                    raise too_many_columns(self.rows + self.empty_rows + 1)
            else:
                self.empty_cells += repeats

    def end(self, name: str) -> None:
        if name != "table:table-row" or not self.in_row:
            return
        self.in_row = False
        if not self.cells:
            self.empty_rows += self.row_repeats
            return
        self.rows += self.empty_rows + self.row_repeats
        self.empty_rows = 0
        self.widest = max(self.widest, self.cells)
        if self.rows > MAX_LINES:
            raise too_many_lines()
        if self.total + self.rows * self.widest > MAX_ODS_CELLS:
            raise refuse(
                _(
                    "This ODS spreadsheet holds more than %(max)s cells, the most an import "
                    "reads of this format: save it as XLSX or CSV and import that file."
                )
                % {"max": f"{MAX_ODS_CELLS:,}"}
            )

    def _close_sheet(self) -> None:
        self.total += self.rows * self.widest
        self.shape.rows = max(self.shape.rows, self.rows)
        self.shape.widest_row = max(self.shape.widest_row, self.widest)
        self.rows = self.widest = self.empty_rows = 0


def _repeats(attributes: dict[str, str], name: str) -> int:
    """Return a repeat count as calamine reads it (a number that is none: the file is damaged)."""
    text = attributes.get(name)
    if text is None:
        return 1
    try:
        return max(int(text.strip()), 0)
    except ValueError:
        raise refuse(_("This spreadsheet is damaged: a repeat count is not a number.")) from None


def _scan_ods_content(book: zipfile.ZipFile, info: zipfile.ZipInfo, shape: SheetShape) -> None:
    """Bound the sheets of an ODS spreadsheet's ``content.xml`` before calamine reads it.

    Parsed as it is unzipped, a megabyte at a time, by expat (entities are
    refused with the document type, by ``_scan_part``'s check of the part).
    """
    from xml.parsers import expat

    shape.ods = True
    bounds = _OdsBounds(shape)
    parser = expat.ParserCreate()  # no namespace processing: names as calamine sees them
    parser.StartElementHandler = bounds.start
    parser.EndElementHandler = bounds.end
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    try:
        with book.open(info) as part:
            for block in _blocks(part):
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except expat.ExpatError:
        shape.calamine_safe = False  # not well-formed: calamine says so, and is not given it
    bounds._close_sheet()


def _refuse_doctype(*_args: object) -> None:
    raise refuse(_("This workbook declares a document type (DTD): it is refused."))


def calamine_max_sheets() -> int:
    from equipage.imports import reader

    return reader.CALAMINE_MAX_SHEETS


def _fit_for_calamine(window: bytes, rows: int, shape: SheetShape) -> bool:
    """Say whether the block's references stay within the rows and widest row seen so far.

    References are looked for as writers spell them (`` r="A1"``); a block
    spelling one otherwise (quotes, blanks) is not fit. A reference to a row of
    more digits than the rows counted, or to a column past the widest row, is
    found by translating the block (letters within the width → ``A``, past it
    → ``Z``, digits → ``9``) and searching a few words: a regular expression
    over every reference cost as much as calamine's own reading.
    """
    width = max(shape.widest_row, 1)
    if width >= 26:  # rare: a regular expression, exact
        if any(odd in window.translate(_BLANKS) for odd in _ODD_REFERENCES):
            return False
        ahead = _ahead(_round_up(rows + 1), width).search(window) is not None
    else:
        seen = window.translate(_TABLES[width], b"$")
        if any(odd in seen for odd in _ODD_REFERENCES):
            return False
        digits = b"9" * (len(str(rows + 1)) + 1)
        ahead = any(word in seen for word in _AHEAD_WORDS) or (
            b' r="A' + digits in seen or b' r="' + digits in seen
        )
    if not ahead:
        return True
    if _BEYOND.search(window):
        raise refuse(
            _(
                "A cell of this workbook lies beyond column %(col)s or line %(max)s, "
                "the most an import reads."
            )
            % {"col": _letters(MAX_COLUMNS), "max": f"{MAX_LINES:,}"}
        )
    return False


def _table(width: int) -> bytes:
    """Map the letters of the first ``width`` columns to A, the others to Z (``r`` itself
    kept: it names the attribute), digits to 9, blanks to a space."""
    table = bytearray(_BLANKS)
    for index in range(26):
        target = ord("A") if index < width else ord("Z")
        table[ord("A") + index] = table[ord("a") + index] = target
    table[ord("r")] = ord("r")
    for digit in b"0123456789":
        table[digit] = ord("9")
    return bytes(table)


_BLANKS = bytes.maketrans(b"\t\n\r", b"   ")

_TABLES = {width: _table(width) for width in range(1, 26)}
_AHEAD_WORDS = (b' r="Z', b' r="AA', b' r="AZ')


_DIMENSION = re.compile(rb"dimension\s+ref\s*=\s*[\"']\s*([^\"']{0,40})")
_RANGE_END = re.compile(rb"\$?([A-Za-z]{1,3})\$?(\d{1,9})\s*$")


@functools.lru_cache(maxsize=64)
def _ahead(height: int, width: int) -> re.Pattern[bytes]:
    """A pattern finding a reference past column ``width`` or at row ``height`` or more."""
    columns = _columns_beyond(width)[1]
    return re.compile(
        rb' r="\$?(?:(?:'
        + columns
        + rb")\$?\d|[A-Za-z]{0,3}\$?0*(?:"
        + _rows_beyond(height)
        + rb"))"
    )


def _check_dimension(window: bytes) -> None:
    """Refuse a sheet that declares more rows or columns than an import reads (openpyxl pads
    every row to the declared width and reads up to the declared height)."""
    for found in _DIMENSION.finditer(window):
        end = _RANGE_END.search(found.group(1))
        if end is None:
            continue
        column = 0
        for char in end.group(1).upper():
            column = column * 26 + char - 64
        if column > MAX_COLUMNS or int(end.group(2)) > MAX_LINES:
            raise refuse(
                _(
                    "This workbook declares a sheet of %(ref)s, beyond column %(col)s or "
                    "line %(max)s, the most an import reads."
                )
                % {
                    "ref": found.group(1).decode("ascii", "replace"),
                    "col": _letters(MAX_COLUMNS),
                    "max": f"{MAX_LINES:,}",
                }
            )


def _cell_counts(segments: list[bytes], buf: bytes, prefixed: bool) -> list[int]:
    """Count the cells of each segment, with C-speed counts of the spellings ``buf`` holds."""
    tokens = _CELL_TOKENS if prefixed else _CELL_TOKENS[:6]
    if buf.count(b"<c") == buf.count(b"<c ") and not prefixed:
        tokens = (b"<c ",)  # the usual spelling, alone (``<col``, ``<color``... aside)
    counts = [0] * len(segments)
    for token in tokens:
        if token in buf:
            counts = list(map(operator.add, counts, map(bytes.count, segments, repeat(token))))
    return counts


def _blocks(part: IO[bytes]) -> Iterator[bytes]:
    while block := part.read(_BLOCK):
        yield block


def _safe_cut(buf: bytes) -> int:
    """Return where to cut ``buf`` so that no counted word straddles the cut."""
    window = max(0, len(buf) - 12)
    found = [i for i in (buf.rfind(b"<", window), buf.rfind(b":", window)) if i != -1]
    return min(found) if found else len(buf)


def calamine_fits(shape: SheetShape) -> bool:
    """Say whether calamine may hold these sheets: refs seen fit, the rectangle is small."""
    if not shape.calamine_safe or shape.sheet_bytes > calamine_max_sheets():
        return False
    width = max(shape.widest_row, 1)
    if width < 26:
        return 10 ** len(str(shape.rows + 1)) * width <= CALAMINE_MAX_CELLS
    return _round_up(shape.rows + 1) * _columns_beyond(width)[0] <= CALAMINE_MAX_CELLS


def _round_up(n: int) -> int:
    """Return ``n`` rounded up at its leading digit (213 456 → 300 000): a cheap row bound."""
    unit = 10 ** (len(str(n)) - 1)
    return (n // unit + 1) * unit


def _rows_beyond(height: int) -> bytes:
    """A pattern of row numbers of ``height`` or more (``height`` is d·10ⁿ)."""
    digits = len(str(height))
    lead = int(str(height)[0])
    return rb"\d{%d,}|[%d-9]\d{%d}(?!\d)" % (digits + 1, lead, digits - 1)


def _columns_beyond(width: int) -> tuple[int, bytes]:
    """Return a column bound at least ``width`` and a pattern of column names past it."""
    if width < 26:
        letter = _letters(width + 1).encode()
        return width, b"[%s-Z%s-z]|[A-Za-z]{2,}" % (letter, letter.lower())
    blocks = (width - 1) // 26 + 1  # single letters, then two-letter names from A? up to here
    letter = _letters(blocks).encode()  # the first letter of the names past them
    return 26 * blocks, b"[%s-Z%s-z][A-Za-z]|[A-Za-z]{3,}" % (letter, letter.lower())
