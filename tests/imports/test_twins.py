"""The spreadsheet trap: a login a spreadsheet turned into a number, a date or a boolean is an
error naming the line, the person and the cause — never a new member plus a deactivation."""

from __future__ import annotations

import pytest
from django.utils import translation

from equipage.imports.model import Current, Scope
from equipage.imports.plan import compute_plan
from equipage.imports.problems import render
from equipage.imports.twins import BOOLEAN, DATE, EXPONENT, NUMBER, Twins
from equipage.imports.validate import Row

COLUMNS = {"login": "Identifiant", "last_name": "Nom", "first_name": "Prénom", "state": "État"}
LOGINS = ["00123", "12345678901234567", "+33612345678", "1/3", "vrai", "0612345678", "jean"]


def twins(logins: list[str] = LOGINS) -> Twins:
    by_lower = {login.lower(): i for i, login in enumerate(logins)}
    return Twins(logins, by_lower.get)


@pytest.mark.parametrize(
    ("written", "member", "cause"),
    [
        ("123", "00123", NUMBER),  # LibreOffice / Excel: leading zeros dropped
        ("612345678", "0612345678", NUMBER),  # a phone-like login
        ("33612345678", "+33612345678", NUMBER),  # its + read as a sign
        ("1.23456789012346E+16", "12345678901234567", EXPONENT),  # LibreOffice, English
        ("1.23456789012346E+016", "12345678901234567", EXPONENT),  # LibreOffice's CSV
        ("1,23457E+16", "12345678901234567", EXPONENT),  # Excel, French
        ("12345678901234600", "12345678901234567", EXPONENT),  # the number, 15 digits kept
        ("01/03/26", "1/3", DATE),  # the date, saved as shown (month first)
        ("03/01/2026", "1/3", DATE),  # day first (French)
        ("2026-01-03", "1/3", DATE),  # a workbook's date cell
        ("TRUE", "vrai", BOOLEAN),  # a French login, opened in English
        ("VRAI", "vrai", None),  # the same login, case aside: no twin needed
    ],
)
def test_a_spreadsheet_made_login_is_traced_back_to_its_member(
    written: str, member: str, cause: str | None
) -> None:
    found = twins().of(written)
    if cause is None:
        assert found is None or LOGINS[found[0]] == member
    else:
        assert found == (LOGINS.index(member), cause)


@pytest.mark.parametrize("written", ["124", "marie", "1.5E+16", "45295", "FALSE", "31/02/2026"])
def test_a_login_no_conversion_explains_has_no_twin(written: str) -> None:
    assert twins().of(written) is None


def test_a_date_serial_number_finds_the_login_read_as_that_date() -> None:
    # 45294 is 2024-01-03: a date cell shown as a number ("Standard" format).
    assert twins(["3/1", "x"]).of("45294") == (0, DATE)


def _row(line: int, login: str, first: str = "Jean", last: str = "Dupont") -> Row:
    return Row(line, login, last, first, "", None, True)


def _members(*logins: str) -> list[Current]:
    return [Current(i + 1, login, "", "Jean", f"M{i}", "active") for i, login in enumerate(logins)]


def test_a_sync_of_a_login_that_lost_its_zeros_is_an_error_not_an_add_and_a_deactivation() -> None:
    plan = compute_plan([_row(2, "123")], _members("00123"), Scope(mode="sync"), COLUMNS)
    assert plan.changes == []  # nobody added, nobody deactivated
    [error] = plan.errors
    assert (error.line, error.column, error.who) == (2, "Identifiant", "Jean Dupont")
    assert error.message.code == "login_twin_number"
    assert error.message.params == {"v": "123", "l": "00123"}
    with translation.override("fr"):
        assert "le tableur a peut-être supprimé les zéros initiaux" in render(error.as_dict())
    with translation.override("en"):
        assert "the spreadsheet may have removed leading zeros" in render(error.as_dict())


def test_each_cause_is_worded_in_both_languages() -> None:
    members = _members("12345678901234567", "1/3", "vrai")
    rows = [_row(2, "1,23457E+16"), _row(3, "01/03/26"), _row(4, "TRUE")]
    plan = compute_plan(rows, members, Scope(mode="sync"), COLUMNS)
    assert plan.changes == []
    errors = {e.line: e.as_dict() for e in plan.errors}
    assert [errors[n]["code"] for n in (2, 3, 4)] == [
        "login_twin_exponent",
        "login_twin_date",
        "login_twin_boolean",
    ]
    with translation.override("fr"):
        assert "notation scientifique" in render(errors[2])
        assert "en date" in render(errors[3])
        assert "booléen" in render(errors[4])
    with translation.override("en"):
        assert "exponent notation" in render(errors[2])
        assert "into a date" in render(errors[3])
        assert "into a boolean" in render(errors[4])


def test_a_new_login_beside_its_twin_named_in_the_file_is_added_in_the_file_order() -> None:
    # "123" comes before "00123": both are named, so "123" really is a new member.
    rows = [
        _row(2, "123", "Neuf", "Membre"),
        _row(3, "00123", "Jean", "M0"),
        _row(4, "zed", "Z", "Z"),
    ]
    plan = compute_plan(rows, _members("00123"), Scope(mode="sync"), COLUMNS)
    assert plan.errors == []
    assert [(c.kind, c.login) for c in plan.changes] == [("added", "123"), ("added", "zed")]


def test_an_upsert_refuses_the_twin_too() -> None:
    plan = compute_plan([_row(2, "123")], _members("00123"), Scope(mode="upsert"), COLUMNS)
    assert plan.changes == [] and plan.errors[0].message.code == "login_twin_number"


def test_a_workbook_login_held_as_a_date_or_boolean_that_names_nobody_is_refused() -> None:
    from equipage.imports.reader import BooleanCell, DateCell, NumberCell

    rows = [
        _row(2, DateCell("2026-01-03")),  # no member "1/3" here: a date is still no login
        _row(3, BooleanCell("FALSE")),
        _row(4, NumberCell("12345678901234568")),
        _row(5, NumberCell("4242")),  # an integer: a new login like any other
    ]
    plan = compute_plan(rows, _members("jean"), Scope(mode="upsert"), COLUMNS)
    found = [(e.line, e.message.code, e.who) for e in plan.errors]
    assert found == [
        (2, "cell_typed_date", "Jean Dupont"),
        (3, "cell_typed_boolean", "Jean Dupont"),
        (4, "cell_typed_number", "Jean Dupont"),
    ]
    assert [(c.kind, c.login) for c in plan.changes] == [("added", "4242")]


def test_a_workbook_boolean_that_is_a_members_login_is_that_member() -> None:
    from equipage.imports.reader import BooleanCell

    members = [Current(1, "true", "", "Jean", "Dupont", "active")]
    plan = compute_plan([_row(2, BooleanCell("TRUE"))], members, Scope(mode="sync"), COLUMNS)
    assert (plan.errors, plan.changes, plan.unchanged) == ([], [], 1)


def test_a_workbook_date_of_a_members_login_is_traced_back_to_it() -> None:
    from equipage.imports.reader import DateCell

    plan = compute_plan(
        [_row(2, DateCell("2026-01-03"))], _members("1/3"), Scope(mode="sync"), COLUMNS
    )
    assert plan.changes == []  # the member "1/3" is not deactivated
    assert [e.message.code for e in plan.errors] == ["login_twin_date"]
