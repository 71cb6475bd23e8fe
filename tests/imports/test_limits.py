"""Hostile files are refused before their cells are read, in bounded memory (issue #13.3).

The attacks: an ~900 KB workbook holding one row of 8 million cells (5-7 GB
before), a ~600 KB shared-strings bomb (2.4 GB), a zip that unzips to more
than the import reads, cells referred to far away (calamine's rectangle), a
one-line CSV file of 50 MB and a CSV file of too many columns. Each is
imported by the real ``equipage`` command in its own process, whose peak
memory (``VmHWM``) is read from /proc as it exits.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from equipage.imports import limits
from equipage.imports.limits import FileRefused
from equipage.imports.reader import read_table
from tests.imports.helpers import FR_HEADER, csv_bytes
from tests.live import create_acme

PEAK_LIMIT_MB = 400
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)
SHEET_TAIL = b"</sheetData></worksheet>"


def _workbook_parts() -> dict[str, bytes]:
    """Return the parts of a small valid workbook (openpyxl's), to swap a sheet into."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(FR_HEADER)
    buf = io.BytesIO()
    book.save(buf)
    with zipfile.ZipFile(buf) as source:
        return {info.filename: source.read(info) for info in source.infolist()}


def write_workbook(
    path: Path, sheet: Iterator[bytes], strings: Iterator[bytes] | None = None
) -> Path:
    """Write a workbook whose first sheet (and shared strings) stream from the iterators."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in _workbook_parts().items():
            if name == "xl/worksheets/sheet1.xml":
                with book.open(name, "w", force_zip64=True) as part:
                    for block in sheet:
                        part.write(block)
            else:
                book.writestr(name, data)
        if strings is not None:
            with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for block in strings:
                    part.write(block)
    return path


def one_row_bomb() -> Iterator[bytes]:
    """One row of 8,000,000 numeric cells (about 110 MB of XML, under 1 MB zipped)."""
    rng = random.Random(13)
    yield SHEET_HEAD + b'<row r="1">'
    chunk = b"".join(b"<c><v>%d</v></c>" % rng.randrange(10) for _ in range(250)) * 400
    for _ in range(80):
        yield chunk
    yield b"</row>" + SHEET_TAIL


def shared_strings_bomb() -> Iterator[bytes]:
    """A table of 20,000,000 empty shared strings (320 MB unzipped, about 600 KB zipped)."""
    yield (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    chunk = b"<si><t></t></si>" * 1_000_000
    for _ in range(20):
        yield chunk
    yield b"</sst>"


def small_sheet() -> Iterator[bytes]:
    yield SHEET_HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL


def declared_size(path: Path, part: str, size: int) -> Path:
    """Rewrite the zip directory so that ``part`` declares ``size`` bytes once unzipped."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack("<H", data[at + 28 : at + 30])[0]
        if data[at + 46 : at + 46 + length] == name:
            data[at + 24 : at + 28] = struct.pack("<I", size)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


# --- the attacks, through the real command ---------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh data directory with the organization "acme", made by the real command."""
    path = tmp_path_factory.mktemp("hostile-data")
    # In English (the French messages: test_the_refusal_is_in_the_readers_language).
    create_acme(_env(path))
    return path


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(EQUIPAGE_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="equipage.settings")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


# Runs ``equipage ARGS`` in this process, then prints its own peak RSS on stderr at exit.
_MEASURED = (
    "import atexit, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('\\nPEAK_KB=' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "from equipage.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def import_in_subprocess(data_dir: Path, path: Path) -> tuple[dict[str, Any], float]:
    """Dry-run import ``path`` with ``equipage members import --json``: (report, peak MB)."""
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            _MEASURED,
            "members",
            "import",
            str(path),
            "--org",
            "acme",
            "--dry-run",
            "--json",
        ],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=300,
    )
    peak = [line for line in run.stderr.splitlines() if line.startswith("PEAK_KB=")]
    assert peak, run.stderr[-3000:]
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    return json.loads(run.stdout), int(peak[-1].split("=")[1]) / 1024


def _refusal(report: dict[str, Any]) -> str:
    assert report["applied"] is False and report["added"] == 0
    assert len(report["errors"]) == 1 and report["errors"][0]["line"] == 0
    return str(report["errors"][0]["message"])


def test_one_row_of_eight_million_cells_is_refused_in_bounded_memory(
    data_dir: Path, tmp_path: Path
) -> None:
    bomb = write_workbook(tmp_path / "row-bomb.xlsx", one_row_bomb())
    assert bomb.stat().st_size < 1_500_000  # the attack: a small file
    report, peak = import_in_subprocess(data_dir, bomb)
    message = _refusal(report)
    assert "100 times" in message or "the 200 columns" in message
    assert peak < PEAK_LIMIT_MB, peak


def test_shared_strings_bomb_is_refused_in_bounded_memory(data_dir: Path, tmp_path: Path) -> None:
    bomb = write_workbook(tmp_path / "sst-bomb.xlsx", small_sheet(), shared_strings_bomb())
    assert bomb.stat().st_size < 1_000_000
    report, peak = import_in_subprocess(data_dir, bomb)
    assert "100 times" in _refusal(report) or "shared strings" in _refusal(report)
    assert peak < PEAK_LIMIT_MB, peak


def test_row_of_too_many_cells_under_the_zip_ratio_is_refused_by_the_scan(
    data_dir: Path, tmp_path: Path
) -> None:
    rng = random.Random(7)
    cells = b"".join(b"<c><v>%d</v></c>" % rng.randrange(10**9) for _ in range(300_000))
    bomb = write_workbook(
        tmp_path / "wide.xlsx", iter([SHEET_HEAD, b'<row r="1">', cells, b"</row>", SHEET_TAIL])
    )
    report, peak = import_in_subprocess(data_dir, bomb)
    assert "Line 1 has more cells than the 200 columns an import takes" in _refusal(report)
    assert peak < PEAK_LIMIT_MB, peak


def test_zip_declaring_more_than_the_import_reads_is_refused_before_unzipping(
    data_dir: Path, tmp_path: Path
) -> None:
    path = write_workbook(tmp_path / "zip-bomb.xlsx", small_sheet())
    declared_size(path, "xl/worksheets/sheet1.xml", 2_000_000_000)
    report, peak = import_in_subprocess(data_dir, path)
    message = _refusal(report)
    assert "more than 100 times its size" in message or "more than 1024 MB" in message
    assert peak < PEAK_LIMIT_MB, peak


def test_a_workbook_unzipping_past_the_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 1000)
    path = write_workbook(tmp_path / "big.xlsx", small_sheet())
    with pytest.raises(FileRefused, match="unzips to more than 0 MB"):
        read_table(path.read_bytes(), "x.xlsx")


def test_csv_of_one_enormous_line_is_refused_in_bounded_memory(
    data_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "line.csv"
    with path.open("wb") as out:
        out.write("Nom;Prénom;État;".encode())
        for _ in range(50):
            out.write(b";" * 1_000_000)  # 50 million empty cells on the header line
    report, peak = import_in_subprocess(data_dir, path)
    assert "Line 1 is longer than 1,000,000 characters" in _refusal(report)
    assert peak < PEAK_LIMIT_MB, peak


def test_csv_of_too_many_columns_is_refused(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "columns.csv"
    path.write_bytes(csv_bytes([["", "Dupont", "Jean", "", "", "Activé"]], FR_HEADER + ["x"] * 250))
    report, _peak = import_in_subprocess(data_dir, path)
    assert "Line 1 has more cells than the 200 columns" in _refusal(report)


# --- each bound, in the reader ---------------------------------------------------------------


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _sheet(body: bytes, tmp_path: Path, dimension: bytes = b"") -> bytes:
    head = SHEET_HEAD.replace(b"<sheetData>", dimension + b"<sheetData>")
    return write_workbook(tmp_path / "s.xlsx", iter([head, body, SHEET_TAIL])).read_bytes()


def test_a_plain_workbook_passes_every_bound_and_fits_calamine() -> None:
    data = _xlsx([FR_HEADER, ["jd", "Dupont", "Jean", "", "", "Activé"]])
    shape = limits.check_workbook(data)
    assert (shape.rows, shape.widest_row) == (2, 6)
    assert limits.calamine_fits(shape)


def test_a_workbook_declaring_a_huge_sheet_is_refused(tmp_path: Path) -> None:
    data = _sheet(
        b'<row r="1"><c r="A1"><v>1</v></c></row>', tmp_path, b'<dimension ref="A1:XFD1048576"/>'
    )
    with pytest.raises(FileRefused, match="declares a sheet of A1:XFD1048576"):
        read_table(data, "x.xlsx")


def test_a_cell_beyond_the_last_column_is_refused(tmp_path: Path) -> None:
    data = _sheet(b'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c></row>', tmp_path)
    with pytest.raises(FileRefused, match="beyond column GR"):
        read_table(data, "x.xlsx")


def test_a_far_reference_in_a_small_sheet_leaves_it_to_openpyxl(tmp_path: Path) -> None:
    """Two cells, A1 and GR900000: calamine would spread them over 180 million cells."""
    data = _sheet(
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>Nom</t></is></c>'
        b'<c r="GR900000"><v>1</v></c></row>',
        tmp_path,
    )
    shape = limits.check_workbook(data)
    assert not limits.calamine_fits(shape)
    assert read_table(data, "x.xlsx").headers[0] == "Nom"  # streamed by openpyxl


def test_cells_spelled_unusually_are_counted_all_the_same(tmp_path: Path) -> None:
    cells = b"".join(b'<c\n r="A1"/>' for _ in range(150)) + b"".join(b"<x:c/>" for _ in range(150))
    data = _sheet(b'<row r="1">' + cells + b"</row>", tmp_path)
    with pytest.raises(FileRefused, match="Line 1 has more cells than the 200 columns"):
        limits.check_workbook(data)


def test_a_document_type_is_refused(tmp_path: Path) -> None:
    body = b'<row r="1"><c r="A1"><v>1</v></c></row>'
    path = write_workbook(
        tmp_path / "dtd.xlsx",
        iter([b'<!DOCTYPE x [<!ENTITY a "aaaa">]>', SHEET_HEAD, body, SHEET_TAIL]),
    )
    with pytest.raises(FileRefused, match="DTD"):
        limits.check_workbook(path)


def test_shared_strings_past_the_bound_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_SHARED_STRINGS", 1000)
    strings = iter([b"<sst>", b"<si><t>x</t></si>" * 1001, b"</sst>"])
    path = write_workbook(tmp_path / "sst.xlsx", small_sheet(), strings)
    with pytest.raises(FileRefused, match="more than 1,000 shared strings"):
        read_table(path.read_bytes(), "x.xlsx")


def test_too_many_parts_are_refused_before_the_zip_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_ZIP_ENTRIES", 20)
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        for index in range(30):
            book.writestr(f"p{index}.xml", b"<x/>")
    with pytest.raises(FileRefused, match="too many parts"):
        limits.check_workbook(path)


def test_a_sheet_of_too_many_rows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_LINES", 5)
    data = _xlsx([FR_HEADER] + [["", f"N{i}", "P", "", "", "Activé"] for i in range(5)])
    with pytest.raises(FileRefused, match=r"more than 5 lines|line 5,"):
        read_table(data, "x.xlsx")


def test_a_csv_file_of_too_many_lines_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_LINES", 5)
    data = csv_bytes([["", f"N{i}", "P", "", "", "Activé"] for i in range(5)])
    with pytest.raises(FileRefused, match="more than 5 lines"):
        read_table(data)


def test_a_file_past_the_upload_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 100)
    with pytest.raises(FileRefused, match="too large"):
        read_table(csv_bytes([["", "Dupont", "Jean", "", "", "Activé"]] * 10))


def test_a_wide_file_comes_in_lists_of_bounded_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    from equipage.imports import reader

    monkeypatch.setattr(reader, "CHUNK_CELLS", 60)
    data = csv_bytes([["", f"N{i}", "P", "", "", "Activé"] for i in range(25)])
    chunks = list(reader.csv_chunks(data, size=20_000)[1])
    assert [len(chunk) for chunk in chunks] == [10, 10, 5]


def test_the_refusal_is_in_the_readers_language() -> None:
    from django.utils import translation

    with translation.override("fr"), pytest.raises(FileRefused) as caught:
        read_table(csv_bytes([], FR_HEADER + ["x"] * 250))
    assert "colonnes" in str(caught.value)


# --- ODS spreadsheets: calamine writes out every repeated cell and row ------------------------

ODS_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    b' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    b' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    b'<office:body><office:spreadsheet><table:table table:name="Membres">'
)
ODS_TAIL = b"</table:table></office:spreadsheet></office:body></office:document-content>"
ODS_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    b'<manifest:file-entry manifest:full-path="/"'
    b' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    b"</manifest:manifest>"
)


def ods_cell(text: str, repeated: int = 1) -> bytes:
    repeat = b' table:number-columns-repeated="%d"' % repeated if repeated > 1 else b""
    return (
        b'<table:table-cell office:value-type="string"%s><text:p>%s</text:p></table:table-cell>'
        % (repeat, text.encode())
    )


def ods_row(cells: bytes, repeated: int = 1) -> bytes:
    repeat = b' table:number-rows-repeated="%d"' % repeated if repeated > 1 else b""
    return b"<table:table-row%s>%s</table:table-row>" % (repeat, cells)


def write_ods(path: Path, rows: bytes) -> Path:
    """Write an ODS spreadsheet (the parts calamine reads) whose first sheet holds ``rows``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        book.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        book.writestr("content.xml", ODS_HEAD + rows + ODS_TAIL)
    return path


def ods_roster(rows: list[list[str]], tail: bytes = b"") -> bytes:
    return b"".join(ods_row(b"".join(ods_cell(c) for c in row)) for row in rows) + tail


def test_a_plain_ods_spreadsheet_is_read_with_libreoffices_empty_trailing_rows(
    tmp_path: Path,
) -> None:
    # LibreOffice ends a sheet with a million empty rows, each of 1024 empty cells: free.
    empty = b'<table:table-cell table:number-columns-repeated="1024"/>'
    body = ods_roster(
        [FR_HEADER, ["jd", "Dupont", "Jean", "", "", "Activé"]], ods_row(empty, 1048570)
    )
    table = read_table(write_ods(tmp_path / "r.ods", body).read_bytes(), "r.ods")
    assert table.kind == "ods" and table.problems == []
    assert table.headers == FR_HEADER
    assert [cells[:3] for _line, cells in table.rows] == [["jd", "Dupont", "Jean"]]


def test_an_ods_cell_repeated_past_the_last_column_is_refused(
    data_dir: Path, tmp_path: Path
) -> None:
    bomb = write_ods(tmp_path / "wide.ods", ods_row(ods_cell("x", 16_000_000)))
    report, peak = import_in_subprocess(data_dir, bomb)
    assert "more cells than the 200 columns" in _refusal(report)
    assert peak < PEAK_LIMIT_MB


def test_an_ods_row_repeated_past_the_last_line_is_refused(data_dir: Path, tmp_path: Path) -> None:
    bomb = write_ods(tmp_path / "tall.ods", ods_row(ods_cell("x", 6), 50_000_000))
    report, peak = import_in_subprocess(data_dir, bomb)
    assert "more than 1,048,576 lines" in _refusal(report)
    assert peak < PEAK_LIMIT_MB


def test_an_ods_spreadsheet_past_its_cell_bound_is_refused(data_dir: Path, tmp_path: Path) -> None:
    # 100 filled columns × 60,000 rows: within the lines and columns, past 5 million cells.
    bomb = write_ods(tmp_path / "big.ods", ods_row(ods_cell("x", 100), 60_000))
    assert bomb.stat().st_size < 2000
    report, peak = import_in_subprocess(data_dir, bomb)
    assert "more than 5,000,000 cells" in _refusal(report)
    assert peak < PEAK_LIMIT_MB


def test_empty_ods_rows_before_a_filled_one_count_as_lines(tmp_path: Path) -> None:
    # Calamine writes out the empty rows before a filled one: they count.
    body = ods_row(b"<table:table-cell/>", 2_000_000) + ods_row(ods_cell("x"))
    with pytest.raises(FileRefused, match="lines"):
        limits.check_workbook(write_ods(tmp_path / "gap.ods", body))


def test_an_ods_document_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtd.ods"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("content.xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(FileRefused, match="DTD"):
        limits.check_workbook(path)


def test_an_ods_spreadsheet_that_is_not_well_formed_is_not_given_to_calamine(
    tmp_path: Path,
) -> None:
    path = write_ods(tmp_path / "bad.ods", ods_roster([FR_HEADER]) + b"<table:table-row>")
    table = read_table(path.read_bytes(), "bad.ods")
    assert table.kind == "ods" and table.rows == []
    assert [p.message.code for p in table.problems] == ["ods_unreadable"]
