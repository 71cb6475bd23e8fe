"""Members whose names are equal once folded: the hard case of the name order and its cursors."""

from __future__ import annotations

from typing import Any

from tests.conftest import make_member

TIE_LAST = [
    "Élodie",
    "Elodie",
    "elodie",
    "ELODIE",
    "de la Fontaine",
    "De La Fontaine",
    "Delafontaine",
]
TIE_FIRST = ["Zoé", "zoe"]


def make_ties(org: Any, owner: Any) -> list[Any]:
    """Create every TIE_LAST × TIE_FIRST name, and one exact name held by two members (ties by id)."""
    made = [
        make_member(org, owner, first, last, email=f"t{i}.{j}@acme.test", login=f"tie{i}.{j}")
        for i, last in enumerate(TIE_LAST)
        for j, first in enumerate(TIE_FIRST)
    ]
    made.append(make_member(org, owner, "Zoé", "Élodie", email="twin@acme.test", login="twin"))
    return made
