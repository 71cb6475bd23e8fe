"""Reading roster files the way spreadsheets and people write them."""

from __future__ import annotations

import io

from equipage.imports.reader import decode, read_table, sniff_delimiter
from tests.imports.helpers import FR_HEADER, csv_bytes

ROWS = [["", "Œuvray", "Élodie", "elodie@exemple.fr", "", "Activé"]]


def test_reads_utf8_with_bom_semicolon_as_excel_writes_it() -> None:
    table = read_table(csv_bytes(ROWS))
    assert table.encoding == "utf-8-sig"
    assert table.delimiter == ";"
    assert table.headers == FR_HEADER
    assert table.rows == [(2, ROWS[0])]


def test_reads_utf8_without_bom_and_comma() -> None:
    table = read_table(csv_bytes(ROWS, delimiter=",", encoding="utf-8"))
    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    assert table.rows[0][1][2] == "Élodie"


def test_reads_windows_1252_as_french_excel_writes_it() -> None:
    rows = [
        ["", "Lefèvre", "Françoise", "", "", "Désactivé"],
        ["", "Œuvray", "Zoë", "", "", "Activé"],
    ]
    table = read_table(csv_bytes(rows, encoding="cp1252"))
    assert table.encoding == "cp1252"
    assert table.headers[2] == "Prénom"
    assert [r[1][1] for r in table.rows] == ["Lefèvre", "Œuvray"]


def test_reads_utf16_tab_separated_unicode_text() -> None:
    table = read_table(csv_bytes(ROWS, delimiter="\t", encoding="utf-16"))
    assert table.delimiter == "\t"
    assert table.rows[0][1][1] == "Œuvray"


def test_sniffs_delimiter_from_header_outside_quotes() -> None:
    assert sniff_delimiter('"Nom, complet";Prénom;État\n') == ";"
    assert sniff_delimiter("Nom\tPrénom\tÉtat\n") == "\t"
    assert sniff_delimiter("Nom,Prénom,État\n") == ","


def test_line_numbers_count_header_as_one_and_skip_blank_lines() -> None:
    data = csv_bytes([ROWS[0], ["", "", "", "", "", ""], ROWS[0]])
    assert [line for line, _ in read_table(data).rows] == [2, 4]


def test_quoted_cells_with_new_lines_keep_their_record_number() -> None:
    data = 'Nom;Prénom;État;Groupes\r\nA;B;Activé;"Ventes\nAtelier"\r\nC;D;Activé;\r\n'.encode()
    table = read_table(data)
    assert [line for line, _ in table.rows] == [2, 3]
    assert table.rows[0][1][3] == "Ventes\nAtelier"


def test_reads_xlsx_first_sheet_with_row_numbers() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(FR_HEADER)
    sheet.append(["jd", "Dupont", "Jean", "jd@x.fr", None, "Activé"])
    sheet.append(["id", "Num", "Un", None, 12345, 1])
    buf = io.BytesIO()
    book.save(buf)
    table = read_table(buf.getvalue(), "roster.xlsx")
    assert table.kind == "xlsx"
    assert table.headers == FR_HEADER
    assert table.rows[0] == (2, ["jd", "Dupont", "Jean", "jd@x.fr", "", "Activé"])
    assert table.rows[1][1][4:] == ["12345", "1"]


def test_damaged_xlsx_is_a_problem_not_a_crash() -> None:
    table = read_table(b"PK\x03\x04garbage", "x.xlsx")
    assert table.problems and table.problems[0].line == 1


def test_decode_prefers_cp1252_for_latin_text() -> None:
    text, encoding = decode("Prénom;État\r\nAndré;Activé\r\n".encode("cp1252"))
    assert encoding == "cp1252"
    assert "André" in text


def test_a_file_read_from_disk_gives_the_lines_of_its_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from equipage.imports.reader import csv_chunks

    rows = [["", "Lefèvre", f"Zoë {i}", "", "", "Activé"] for i in range(7)]
    data = csv_bytes(rows, encoding="cp1252")
    path: Path = tmp_path / "liste.csv"
    path.write_bytes(data)
    table, chunks = csv_chunks(path, size=3)
    lines = [line for chunk in chunks for line in chunk]
    whole = read_table(data)
    assert (table.encoding, table.delimiter, table.headers) == ("cp1252", ";", whole.headers)
    assert lines == whole.rows
    assert [len(chunk) for chunk in csv_chunks(path, size=3)[1]] == [3, 3, 1]


def test_a_big_workbook_is_streamed_by_openpyxl_and_reads_the_same(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from openpyxl import Workbook

    from equipage.imports import reader

    book = Workbook()
    sheet = book.active
    sheet.append(FR_HEADER)
    sheet.append(["jd", "Dupont", "Jean", "jd@x.fr", None, "Activé"])
    sheet.append(["id", "Num", "Un", None, 12345, 1])
    sheet.append(["dt", "Date", "Deux", None, dt.date(2026, 11, 23), True])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["fl", "Réel", "Trois", None, 2.5, "Désactivé"])
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    fast = read_table(data, "roster.xlsx")
    streamed: list[bytes | object] = []
    openpyxl_rows = reader._openpyxl_rows

    def spy(source):  # type: ignore[no-untyped-def]
        streamed.append(source)
        return openpyxl_rows(source)

    monkeypatch.setattr(reader, "_openpyxl_rows", spy)
    monkeypatch.setattr(reader, "CALAMINE_MAX_SHEETS", 100)  # this workbook is "big" now
    slow = read_table(data, "roster.xlsx")
    assert streamed  # read by openpyxl
    assert (slow.headers, slow.rows, slow.problems) == (fast.headers, fast.rows, fast.problems)
    assert [line for line, _cells in fast.rows] == [2, 3, 4, 6]


def _with_bad_byte(encoding: str) -> bytes:
    rows = [
        ["", "Œuvray", "Élodie", "", "", "Activé"],
        ["", "Lefèvre", "Zoé", "", "", "Activé"],
        ["", "Martin", "Hélène", "", "", "Activé"],
    ]
    data = csv_bytes(rows, encoding=encoding)
    return data.replace("Zoé".encode(), b"Zo\xe9")  # one cp1252 byte in a UTF-8 file


def test_utf8_file_with_one_invalid_byte_is_an_error_of_its_line_not_a_legacy_decoding() -> None:
    from equipage.imports.validate import validate_table

    table = read_table(_with_bad_byte("utf-8"))
    assert table.encoding == "utf-8"
    assert table.rows[0][1][2] == "Élodie"  # never « ﾃ瑛odie »
    assert [(p.line, p.column) for p in table.problems] == [(3, "")]
    assert "not valid UTF-8" in table.problems[0].message
    assert [p.line for p in validate_table(table).problems] == [3]


def test_one_accent_and_one_invalid_byte_without_bom_is_utf8_with_an_error_not_cp1252() -> None:
    # The red team's file: as many valid accents as bad bytes (one each) is still UTF-8.
    header = ["Login", "Last name", "First name", "Email", "Password", "State"]
    data = csv_bytes([["", "Durand", "Élodie", "", "", "Active"]], header, encoding="utf-8")
    table = read_table(data.replace(b"Durand", b"Dur\xffand"))
    assert table.encoding == "utf-8"
    assert table.rows[0][1][2] == "Élodie"
    assert [p.line for p in table.problems] == [2]


def test_utf8_file_with_bom_and_an_invalid_byte_is_an_error_never_a_silent_replacement() -> None:
    table = read_table(_with_bad_byte("utf-8-sig"))
    assert table.encoding == "utf-8-sig"
    assert [p.line for p in table.problems] == [3]


def test_the_same_file_read_from_disk_names_the_same_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports.validate import stream_file

    path = tmp_path / "roster.csv"
    path.write_bytes(_with_bad_byte("utf-8"))
    validated, rows = stream_file(path)
    list(rows)
    assert [p.line for p in validated.problems] == [3]


def test_windows_1252_file_with_many_accents_still_reads_as_cp1252() -> None:
    rows = [["", "Lefèvre", f"Zoé {i}", "", "", "Désactivé"] for i in range(20)]
    table = read_table(csv_bytes(rows, encoding="cp1252"))
    assert (table.encoding, table.problems) == ("cp1252", [])
    assert table.rows[0][1][2] == "Zoé 0"


def test_ascii_file_with_one_latin_byte_reads_as_cp1252() -> None:
    header = ["Login", "Last name", "First name", "Email", "Password", "State"]
    data = csv_bytes([["", "Dupont", "Andre", "", "", "Active"]], header, encoding="ascii")
    table = read_table(data.replace(b"Andre", b"Andr\xe9"))
    assert table.encoding == "cp1252" and not table.problems
    assert table.rows[0][1][2] == "André"
