"""Export of the roster: CSV (UTF-8 with BOM) or XLSX, streamed, formulas neutralised."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from equipage.imports import columns as C

FORMULA_STARTS = "=+-@\t\r"
ESCAPED_AFTER_APOSTROPHE = FORMULA_STARTS + "'"
DELIMITER = {"fr": ";", "en": ","}


def neutralise(text: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with an apostrophe (OWASP advice).

    One escaping, undone exactly by ``unneutralise`` (the import's): a value
    starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets an apostrophe, and
    so does a value that already starts with an apostrophe followed by one of
    those or by another apostrophe — ``'=already`` exports as ``''=already``
    and comes back as ``'=already``; ``=x`` exports as ``'=x`` and comes back
    as ``=x``.
    """
    if text and (text[0] in FORMULA_STARTS or _escaped(text)):
        return "'" + text
    return text


def unneutralise(text: str) -> str:
    """Undo ``neutralise``: drop the apostrophe it added (``'=x`` → ``=x``, ``''=x`` → ``'=x``)."""
    return text[1:] if _escaped(text) else text


def _escaped(text: str) -> bool:
    return len(text) > 1 and text[0] == "'" and text[1] in ESCAPED_AFTER_APOSTROPHE


def headers(language: str, custom_names: list[str]) -> list[str]:
    """Return the header line, neutralised like the cells (a custom field may be named ``=...``)."""
    lang = "en" if language == "en" else "fr"
    return [neutralise(h) for h in [getattr(c, lang) for c in C.COLUMNS] + custom_names]


def role_words(roles: Iterable[str], language: str) -> str:
    words = C.ROLE_WORDS["en" if language == "en" else "fr"]
    order = ["owner", "admin", "user_admin", "member"]
    return ", ".join(words[r] for r in sorted(roles, key=order.index))


def cells(row: dict[str, Any], language: str, custom_keys: list[str]) -> list[str]:
    lang = "en" if language == "en" else "fr"
    values = [
        row["login"],
        row["last_name"],
        row["first_name"],
        row["email"],
        C.PASSWORD_PLACEHOLDER[lang],
        C.state_word(row["state"], lang),
        row.get("groups_cell") or ", ".join(row["groups"]),
        role_words(row["roles"] or ["member"], lang),
        row.get("labels_cell") or ", ".join(row["labels"]),
        row.get("phone", ""),
        row.get("job_title", ""),
        ", ".join(row.get("contact_roles") or ()),
        *(row["custom"].get(k, "") for k in custom_keys),
    ]
    return [neutralise(v) for v in values]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(delimiter: str, header: list[str], lines: Iterable[list[Any]]) -> Iterator[bytes]:
    """Yield a CSV file in chunks of about 64 KB: BOM, ``header``, then one line per item.

    Bounded memory whatever the number of lines: the member export and the audit
    log's export both stream through it.
    """
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n")
    yield "\ufeff".encode() + writer.writerow(header).encode()
    buffer: list[str] = []
    size = 0
    for cells_of_line in lines:
        line = writer.writerow(cells_of_line)
        buffer.append(line)
        size += len(line)
        if size > 65536:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def csv_chunks(
    rows: Iterable[dict[str, Any]], language: str, custom: list[tuple[str, str]]
) -> Iterator[bytes]:
    """Yield the member export as CSV in chunks: BOM, header, then one line per member."""
    keys = [k for k, _n in custom]
    return csv_stream(
        DELIMITER.get(language, ";"),
        headers(language, [n for _k, n in custom]),
        (cells(row, language, keys) for row in rows),
    )


def _xlsx_safe(value: Any) -> Any:
    """Drop the control characters a worksheet cannot hold (they would abort the download)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


# Columns whose cells a spreadsheet would read as numbers, dates or booleans if they were not
# typed as text (« 00123 » → 123): the identifiers, the phone, and the custom fields.
TEXT_COLUMNS = frozenset({C.LOGIN, C.EMAIL, "phone"})


def _text_typed(sheet: Any, width: int) -> Any:
    """Return a function typing a row's identifier and custom cells as text (format ``@``).

    Their columns get the text format too, so that a value typed into them
    later stays text. Every text cell shares one style array: setting the
    format cell by cell cost as much as writing the whole workbook.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    positions = [i for i, c in enumerate(C.COLUMNS) if c.key in TEXT_COLUMNS]
    positions += range(len(C.COLUMNS), width)
    model = WriteOnlyCell(sheet, "")
    model.number_format = "@"
    for i in positions:
        sheet.column_dimensions[get_column_letter(i + 1)].number_format = "@"

    def typed(values: list[Any]) -> list[Any]:
        for i in positions:
            if i < len(values):
                cell = WriteOnlyCell(sheet, values[i])
                cell._style = model._style  # one shared style array (see above)
                values[i] = cell
        return values

    return typed


def xlsx_chunks(
    rows: Iterable[dict[str, Any]], language: str, custom: list[tuple[str, str]]
) -> Iterator[bytes]:
    """Write the workbook in openpyxl's write-only mode to a temporary file, then stream it."""
    from openpyxl import Workbook

    keys = [k for k, _n in custom]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Membres" if language == "fr" else "Members")
    as_text = _text_typed(sheet, len(C.COLUMNS) + len(keys))
    sheet.append([_xlsx_safe(h) for h in headers(language, [n for _k, n in custom])])
    for row in rows:
        sheet.append(as_text([_xlsx_safe(v) for v in cells(row, language, keys)]))
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        book.save(path)
        with open(path, "rb") as fh:
            while chunk := fh.read(65536):
                yield chunk
    finally:
        os.unlink(path)


def export_bytes(
    rows: Iterable[dict[str, Any]], language: str, fmt: str, custom: list[tuple[str, str]]
) -> bytes:
    """Return the whole export at once (tests and small organizations)."""
    out = io.BytesIO()
    chunks = xlsx_chunks if fmt == "xlsx" else csv_chunks
    for chunk in chunks(rows, language, custom):
        out.write(chunk)
    return out.getvalue()
