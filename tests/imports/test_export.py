"""The export's formula guard is one escaping the import undoes exactly (issue #13.7)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from equipage.imports.export import FORMULA_STARTS, export_bytes, neutralise, unneutralise
from equipage.imports.reader import read_table
from equipage.imports.validate import validate_table

TRICKY = ["'=already", "=x", "''x", "'", "''", "-5", "+33 6", "@cmd", "'plain", "plain", "'-"]
# Texts made mostly of the characters the escaping is about.
tricky_text = st.text(alphabet=st.sampled_from("'=+-@\t\rab é"), max_size=8) | st.text()


@given(tricky_text)
def test_unneutralise_undoes_neutralise_exactly(text: str) -> None:
    assert unneutralise(neutralise(text)) == text


@given(tricky_text)
def test_no_exported_cell_starts_as_a_formula(text: str) -> None:
    assert not neutralise(text)[:1] or neutralise(text)[0] not in FORMULA_STARTS


def _row(last_name: str, index: int) -> dict[str, Any]:
    return {
        "login": f"m{index}",
        "last_name": last_name,
        "first_name": "Jean",
        "email": "",
        "state": "active",
        "groups": [],
        "roles": ["member"],
        "labels": [],
        "custom": {},
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_tricky_values_survive_the_export_then_import(fmt: str) -> None:
    data = export_bytes([_row(name, i) for i, name in enumerate(TRICKY)], "fr", fmt, [])
    result = validate_table(read_table(data, f"export.{fmt}"))
    assert result.problems == []
    assert [row.last_name for row in result.rows] == [t.strip() for t in TRICKY]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_member_named_with_a_guard_comes_back_unchanged(org, admin, fmt: str) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports.actions import roster_export
    from tests.conftest import make_member
    from tests.imports.helpers import run_import

    make_member(org, admin, "'=already", "=x")
    data = b"".join(roster_export(actor=admin, organization=org, fmt=fmt, language="fr"))
    report = run_import(org, admin, data, filename=f"export.{fmt}", mode="upsert", dry_run=True)
    assert (report.errors, report.updated, report.added) == ([], 0, 0)


def test_the_xlsx_export_types_identifiers_and_custom_fields_as_text() -> None:
    """A spreadsheet keeps « 00123 » as it is only in a text-typed cell (the number trap)."""
    import io

    from openpyxl import load_workbook

    row = {**_row("Dupont", 1), "login": "00123", "custom": {"n": "0042"}}
    book = load_workbook(io.BytesIO(export_bytes([row], "fr", "xlsx", [("n", "Numéro")])))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    cells = {h: c for h, c in zip(header, sheet[2], strict=True)}
    typed = {h for h, c in cells.items() if c.number_format == "@"}
    assert {"Identifiant", "Adresse e-mail", "Numéro"} <= typed  # and Téléphone, when exported
    assert not typed & {"Nom", "Prénom", "État", "Rôles"}
    assert (cells["Identifiant"].value, cells["Identifiant"].data_type) == ("00123", "s")
    assert sheet.column_dimensions["A"].number_format == "@"  # a value typed later stays text
