"""Hypothesis: arbitrary bytes and CSV structures never make the reader or validator raise.

(Except with ``FileRefused``, the refusal of a file past a bound of ``limits``.)
"""

from __future__ import annotations

import csv
import io
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equipage.imports.limits import FileRefused
from equipage.imports.reader import read_table
from equipage.imports.validate import validate_table

HEADERS = [
    "Identifiant",
    "Nom",
    "Prénom",
    "Adresse e-mail",
    "Mot de passe",
    "État",
    "Groupes",
    "Rôles",
    "x",
]
cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["Activé", "Désactivé", "oui", "", "a@b.fr", "'=1", "Mot de passe crypté", "admin"]
    ),
)


CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")


def assert_well_formed(data: bytes) -> None:
    try:
        result = validate_table(read_table(data))
    except FileRefused as refused:  # past a bound of limits.py: refused as a whole, by name
        assert str(refused)
        return
    for problem in [*result.problems, *result.warnings]:
        assert isinstance(problem.line, int) and problem.line >= 0
        assert isinstance(problem.column, str) and problem.message
    for row in result.rows:
        # Empty names are the diff's to judge (a member may have none); a kept cell is clean.
        for text in (row.login, row.last_name, row.first_name, row.email):
            assert text == text.strip() and not CONTROL_OR_BREAK.search(text), text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    assert_well_formed(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=9),
    rows=st.lists(st.lists(cell, max_size=10), max_size=8),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_arbitrary_csv_structures_never_raise(header, rows, delimiter, encoding) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    assert_well_formed(out.getvalue().encode(encoding, errors="replace"))
