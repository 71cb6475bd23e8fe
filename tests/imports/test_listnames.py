"""Group and label names holding , ; | (an IdP's « Sales, EMEA ») read back from a cell.

The import splits Groupes / Étiquettes cells by those separators, then joins
consecutive pieces back into the longest existing name (imports.listnames).
The attacks: an export re-imported moves nobody; a hand-written « Sales; EMEA »
finds « Sales, EMEA »; a label built to swallow its neighbour (« A, B » beside
« A » and « B ») wins a cell « A, B » — the documented rule — and the export
of a member in « A » and « B » is written so that it reads back as those two.
"""

from __future__ import annotations

from typing import Any

import pytest

from equipage.groups.actions import group_add_member, group_create, label_create, labels_attach
from equipage.imports.columns import split_pieces
from equipage.imports.listnames import AMBIGUOUS, ListNames
from tests.conftest import make_member
from tests.imports.helpers import FR_HEADER, csv_bytes, run_import


def _read(names: list[str], cell: str) -> list[str]:
    lookup = ListNames((n, i) for i, n in enumerate(names))
    return [n if pk is None else names[pk] for n, pk in lookup.read(split_pieces(cell))]


@pytest.mark.parametrize(
    ("cell", "read"),
    [
        ("Sales, EMEA", ["Sales, EMEA"]),
        ("Sales; EMEA", ["Sales, EMEA"]),
        ("sales |emea, Sales", ["Sales, EMEA", "Sales"]),
        ("Sales, Sales, EMEA", ["Sales", "Sales, EMEA"]),
        ("EMEA, Sales", ["EMEA", "Sales"]),
        ("Sales\nEMEA", ["Sales", "EMEA"]),  # a name never spans a line break
        ("Sales, Nord", ["Sales", "Nord"]),  # « Nord » unknown: named as written
        ("Sales, EMEA, Sales, EMEA", ["Sales, EMEA"]),
    ],
)
def test_cell_pieces_join_into_the_longest_existing_name(cell: str, read: list[str]) -> None:
    assert _read(["Sales", "EMEA", "Sales, EMEA"], cell) == read


def test_the_longer_name_wins_a_cell_that_could_be_its_neighbours() -> None:
    """The attack: « A, B » beside « A » and « B »: the cell « A, B » is « A, B » alone."""
    assert _read(["A", "B", "A, B"], "A, B") == ["A, B"]
    assert _read(["A", "A, B"], "A; B") == ["A, B"]
    assert _read(["A", "A, B", "A, B, C"], "A, B, C, A") == ["A, B, C", "A"]


def test_names_shared_by_two_older_twins_stay_ambiguous() -> None:
    lookup = ListNames([("Sales, EMEA", 1), ("Sales; EMEA", 2)])
    assert lookup.read(split_pieces("Sales|EMEA")) == [("Sales, EMEA", AMBIGUOUS)]


def test_the_export_writes_one_name_a_line_only_when_commas_would_misread() -> None:
    lookup = ListNames([("A", 1), ("B", 2), ("A, B", 3), ("C", 4)])
    assert lookup.cell(["A", "B"]) == "A\nB"
    assert lookup.cell(["A", "C"]) == "A, C"
    assert lookup.cell(["A, B", "C"]) == "A, B, C"
    assert ListNames([("A", 1), ("B", 2)]).cell(["A", "B"]) == "A, B"


def _sales(org: Any, owner: Any) -> tuple[Any, Any, Any]:
    return tuple(  # type: ignore[return-value]
        group_create(actor=owner, organization=org, name=n)
        for n in ("Sales, EMEA", "Sales", "EMEA")
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reimports_as_no_change_with_groups_and_labels_holding_commas(
    org: Any, owner: Any, fmt: str
) -> None:
    from equipage.imports.actions import roster_export

    both, sales, emea = _sales(org, owner)
    only = make_member(org, owner, "Ana", "Only")
    group_add_member(actor=owner, group=both, member=only)
    two = make_member(org, owner, "Bob", "Two")
    group_add_member(actor=owner, group=sales, member=two)
    group_add_member(actor=owner, group=emea, member=two)  # « EMEA, Sales »: not the group
    three = make_member(org, owner, "Cid", "Three")
    for group in (both, sales, emea):
        group_add_member(actor=owner, group=group, member=three)
    pair = label_create(actor=owner, organization=org, name="A, B")
    for name in ("A", "B"):
        label = label_create(actor=owner, organization=org, name=name)
        labels_attach(actor=owner, label=label, members=[two])  # « A, B » would be the label
    labels_attach(actor=owner, label=pair, members=[only])
    data = b"".join(roster_export(actor=owner, organization=org, fmt=fmt, language="fr"))
    report = run_import(org, owner, data, filename=f"export.{fmt}", mode="sync", dry_run=True)
    assert report.errors == []
    assert (report.added, report.updated, report.deactivated) == (0, 0, 0), report.changes


def test_hand_written_semicolon_finds_the_group_named_with_a_comma(org: Any, owner: Any) -> None:
    _both, sales, _emea = _sales(org, owner)
    member = make_member(org, owner, "Ana", "Only", groups=[sales])
    rows = [[member.login, "Only", "Ana", member.email, "", "Activé", "Sales; EMEA"]]
    data = csv_bytes(rows, [*FR_HEADER, "Groupes"])
    report = run_import(org, owner, data, filename="r.csv", mode="upsert", dry_run=True)
    assert report.errors == []
    (change,) = report.changes
    assert change["fields"]["groups"] == {"before": ["Sales"], "after": ["Sales, EMEA"]}


def test_piece_matching_no_name_is_still_an_unknown_group(org: Any, owner: Any) -> None:
    _sales(org, owner)
    member = make_member(org, owner, "Ana", "Only")
    rows = [[member.login, "Only", "Ana", member.email, "", "Activé", "Sales, Nord, Nord"]]
    data = csv_bytes(rows, [*FR_HEADER, "Groupes"])
    report = run_import(org, owner, data, filename="r.csv", mode="upsert", dry_run=True)
    (error,) = report.errors  # once, though written twice
    assert "“Nord”" in error["message"] and error["column"] == "Groupes"
