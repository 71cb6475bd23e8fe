"""Every bad cell is named by its line and its column as written, with a clear message."""

from __future__ import annotations

from equipage.imports.columns import parse_state, standard_column
from equipage.imports.reader import read_table
from equipage.imports.validate import CustomFieldSpec, validate_table
from tests.imports.helpers import EN_HEADER, csv_bytes


def check(rows, header=None, custom=()):  # type: ignore[no-untyped-def]
    data = csv_bytes(rows) if header is None else csv_bytes(rows, header=header)
    return validate_table(read_table(data), list(custom))


def errors(result):  # type: ignore[no-untyped-def]
    return [(p.line, p.column, p.message) for p in result.problems]


def test_headers_match_case_accent_and_space_insensitively() -> None:
    assert standard_column(" prenom ") == "first_name"
    assert standard_column("ADRESSE E-MAIL") == "email"
    assert standard_column("Etat") == "state"
    assert standard_column("e-mail") == "email"
    assert standard_column("Last Name") == "last_name"
    assert standard_column("Rôles") == "roles"
    assert standard_column("Couleur préférée") is None


def test_english_headers_are_accepted() -> None:
    result = check([["jd", "Doe", "John", "jd@x.org", "", "Active"]], header=EN_HEADER)
    assert result.problems == []
    assert result.rows[0].active is True


def test_state_accepts_words_and_synonyms() -> None:
    for word in ("Activé", "activé", "ACTIF", "Active", "Oui", "1", "active"):
        assert parse_state(word) is True, word
    for word in ("Désactivé", "desactive", "Inactif", "Deactivated", "Non", "0"):
        assert parse_state(word) is False, word
    assert parse_state("peut-être") is None


def test_missing_required_columns_are_reported_on_the_header_line() -> None:
    result = check([["x", "y"]], header=["Nom", "Adresse e-mail"])
    assert {(line, col) for line, col, _ in errors(result)} == {(1, "Prénom"), (1, "État")}


def test_every_bad_cell_has_its_line_and_column_as_written() -> None:
    header = ["Identifiant", "NOM", "prénom", "Courriel", "Mot de passe", "etat"]
    rows = [
        ["ok", "Dupont", "Jean", "jean@x.fr", "", "Activé"],
        ["", "", "Anne", "pas-un-mail", "", "Peut-être"],
        ["a b", "Nul\x00", "Ligne\nbreak", "", "", ""],
        ["", "X" * 151, "Y", "", "", "Activé"],
    ]
    result = check(rows, header=header)
    found = {(line, col) for line, col, _ in errors(result)}
    assert found == {
        (3, "NOM"),
        (3, "Courriel"),
        (3, "etat"),
        (4, "Identifiant"),
        (4, "NOM"),
        (4, "prénom"),
        (4, "etat"),
        (5, "NOM"),
    }
    assert [r.line for r in result.rows] == [2]
    messages = dict(((line, col), msg) for line, col, msg in errors(result))
    assert "not a valid e-mail" in messages[(3, "Courriel")]
    assert "control characters" in messages[(4, "NOM")]
    assert "at most 150" in messages[(5, "NOM")]


def test_unknown_columns_are_reported_as_warnings_not_errors() -> None:
    result = check(
        [["Dupont", "Jean", "Activé", "bleu"]], header=["Nom", "Prénom", "État", "Couleur"]
    )
    assert result.problems == []
    assert [(w.line, w.column) for w in result.warnings] == [(1, "Couleur")]


def test_duplicate_column_is_an_error() -> None:
    result = check([["a", "b", "c", "Activé"]], header=["Nom", "Prénom", "Prenom", "État"])
    assert [(line, col) for line, col, _ in errors(result)] == [(1, "Prenom")]


def test_placeholder_password_means_unchanged() -> None:
    result = check(
        [
            ["", "A", "B", "", "Mot de passe crypté", "Activé"],
            ["", "C", "D", "", "Encrypted password", "Activé"],
            ["", "E", "F", "", "s3cret-Passw0rd", "Activé"],
        ]
    )
    assert [r.password for r in result.rows] == [None, None, "s3cret-Passw0rd"]


def test_placeholder_password_is_recognised_in_any_case_and_accents_every_time() -> None:
    spellings = ["MOT DE PASSE CRYPTE", "mot de passe  crypté", "encrypted PASSWORD"]
    lines = [["", "A", "B", "", word, "Activé"] for word in spellings * 2]
    lines.append(["", "C", "D", "", "mot de passe crypté!", "Activé"])
    result = check(lines)
    assert [r.password for r in result.rows] == [None] * 6 + ["mot de passe crypté!"]


def test_unknown_role_is_an_error_and_roles_are_read_in_both_languages() -> None:
    header = ["Nom", "Prénom", "État", "Rôles"]
    result = check(
        [["A", "B", "Activé", "Administrateur, membre"], ["C", "D", "Activé", "chef"]],
        header=header,
    )
    assert result.rows[0].roles == ("admin", "member")
    assert [(line, col) for line, col, _ in errors(result)] == [(3, "Rôles")]


def test_custom_fields_are_checked_by_kind() -> None:
    spec = CustomFieldSpec(key="badge", name="Badge", kind="number")
    header = ["Nom", "Prénom", "État", "Badge"]
    result = check(
        [["A", "B", "Activé", "12"], ["C", "D", "Activé", "douze"]], header=header, custom=[spec]
    )
    assert result.rows[0].custom == {"badge": "12"}
    assert [(line, col) for line, col, _ in errors(result)] == [(3, "Badge")]


def test_neutralised_formula_cells_read_back_as_written() -> None:
    result = check([["", "'=Dupont", "'+Jean", "", "", "Activé"]])
    assert (result.rows[0].last_name, result.rows[0].first_name) == ("=Dupont", "+Jean")


def test_empty_file_is_one_error() -> None:
    result = validate_table(read_table(b""))
    assert [(p.line, p.column) for p in result.problems] == [(1, "")]


def test_a_streamed_check_gives_the_rows_and_problems_of_the_whole_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports.validate import stream_file, validate_file

    rows = [
        ["ok", "Dupont", "Jean", "jean@x.fr", "", "Activé"],
        ["", "Martin", "Anne", "pas-un-mail", "", "Activé"],
        *[[f"m{i}", "Nom", "Prénom", "", "", "Désactivé"] for i in range(5)],
        ["", "Durand", "Luc", "", "", "Peut-être"],
    ]
    data = csv_bytes(rows, header=[*EN_HEADER, "Inconnue"])
    path = tmp_path / "roster.csv"
    path.write_bytes(data)
    whole = validate_file(data)
    streamed, lines = stream_file(path, chunk_size=2)
    assert streamed.columns == whole.columns
    assert [w.column for w in streamed.warnings] == ["Inconnue"]
    assert streamed.problems == [] and streamed.total_lines == 0  # known once read
    assert list(lines) == whole.rows and [r.line for r in whole.rows][:2] == [2, 4]
    assert streamed.problems == whole.problems
    assert [p.line for p in streamed.problems] == [3, 9]
    assert streamed.total_lines == whole.total_lines == 8


def test_an_xlsx_workbook_is_checked_from_its_path_in_chunks_as_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    from equipage.imports.validate import stream_file, validate_file

    book = Workbook()
    sheet = book.active
    sheet.append(EN_HEADER)
    for i in range(7):
        sheet.append([f"m{i}", "Nom", "Prénom", f"m{i}@x.fr", None, "Active"])
    sheet.append(["bad", "Nom", "Prénom", "not-an-address", None, "Maybe"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    whole = validate_table(read_table(path.read_bytes(), "roster.xlsx"))
    streamed, rows = stream_file(path, chunk_size=3)
    assert list(rows) == whole.rows and len(whole.rows) == 7
    assert streamed.problems == whole.problems and {p.line for p in whole.problems} == {9}
    assert streamed.total_lines == whole.total_lines == 8
    assert validate_file(path).rows == whole.rows


def test_a_damaged_workbook_streamed_is_a_problem_not_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports.validate import stream_file

    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"PK\x03\x04garbage")
    streamed, rows = stream_file(path)
    assert list(rows) == []
    assert [p.line for p in streamed.problems] == [1]
    assert "not a readable XLSX workbook" in streamed.problems[0].message


def _workbook(rows: list[list[object]]) -> bytes:
    import io

    from openpyxl import Workbook

    from tests.imports.helpers import FR_HEADER

    book = Workbook()
    sheet = book.active
    sheet.append(FR_HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_workbook_identifiers_keep_their_kind_and_an_email_held_as_a_value_is_refused() -> None:
    import datetime as dt

    from equipage.imports.reader import BooleanCell, DateCell, NumberCell

    data = _workbook(
        [
            [dt.date(2026, 1, 3), "Date", "Léa", "", None, "Activé"],
            [True, "Vrai", "Jean", "", None, "Activé"],
            [12345678901234567, "Long", "Ana", "", None, "Activé"],
            ["ok", "Mail", "Eve", 42, None, "Activé"],
            [123, "Nombre", "Zoé", "", None, True],
        ]
    )
    result = validate_table(read_table(data, "roster.xlsx"))
    found = [(p.line, p.column, p.message.code, p.who) for p in result.problems]
    # Not also "“42” is not a valid e-mail address": the cause is said once.
    assert found == [(5, "Adresse e-mail", "cell_typed_number", "Eve Mail")]
    logins = {r.line: r.login for r in result.rows}
    assert (logins[2], logins[3], logins[6]) == ("2026-01-03", "TRUE", "123")
    assert logins[4].startswith("1234567890123") and len(logins[4]) == 17  # as a float holds it
    # The logins keep their cell's kind: the diff, which knows the members, judges them.
    kinds = [type(logins[n]) for n in (2, 3, 4, 6)]
    assert kinds == [DateCell, BooleanCell, NumberCell, NumberCell]
    assert result.rows[-1].active is True


def test_the_same_identifiers_held_as_text_are_plain_logins() -> None:
    data = _workbook([["2026-01-03", "Date", "Léa", "", None, "Activé"]])
    result = validate_table(read_table(data, "roster.xlsx"))
    assert result.problems == [] and result.rows[0].login == "2026-01-03"
