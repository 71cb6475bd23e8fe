"""The one-string sort key SQLite indexes orders names exactly as the tuple key does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from equipage.accounts.collation import name_key, name_sort_key

# Letters that fold together, separators that sort before letters, and anything else but NUL.
_NAME_CHARS = st.one_of(
    st.sampled_from("aAàÀeEéÉèêëoOœŒ'- zZ"),
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
)
_NAMES = st.text(_NAME_CHARS, max_size=8)

TRICKY = [
    "de la Fontaine",
    "De La Fontaine",
    "Delafontaine",
    "de Lafontaine",
    "Du",
    "Dupont",
    "Du Pont",
    "Dupont-Durand",
    "D'Almeida",
    "Dalmeida",
    "Élodie",
    "Elodie",
    "elodie",
    "ELODIE",
    "Elodi",
    "Emma",
    "Œuvray",
    "Oeuvray",
    "Zoé",
    "Zola",
]


@given(_NAMES, _NAMES)
def test_string_key_compares_like_the_tuple_key(a: str, b: str) -> None:
    assert (name_sort_key(a) < name_sort_key(b)) == (name_key(a) < name_key(b))
    assert (name_sort_key(a) == name_sort_key(b)) == (a == b)


def test_string_key_keeps_a_folded_prefix_first() -> None:
    # « Du » folds to a prefix of « Dupont »: the NUL separator keeps it first, as the tuple does.
    assert name_key("Du") < name_key("Dupont")
    assert name_sort_key("Du") < name_sort_key("Dupont")
    assert name_sort_key("Du") < name_sort_key("Du Pont") < name_sort_key("Dupont")
    assert sorted(TRICKY, key=name_sort_key) == sorted(TRICKY, key=name_key)


def test_names_sort_accent_and_case_insensitively_then_by_exact_text() -> None:
    ordered = sorted(TRICKY, key=name_sort_key)
    assert ordered.index("Élodie") < ordered.index("Emma") < ordered.index("Zoé")
    assert ordered.index("Elodi") < ordered.index("Elodie")
    # Equal folded names stay together, ordered by their exact text.
    assert ordered[ordered.index("ELODIE") : ordered.index("ELODIE") + 4] == [
        "ELODIE",
        "Elodie",
        "elodie",
        "Élodie",
    ]
    assert ordered.index("de la Fontaine") < ordered.index("de Lafontaine")
    assert ordered.index("De La Fontaine") < ordered.index("de la Fontaine")


@pytest.mark.django_db
def test_database_orders_names_like_python(db: Any) -> None:
    """SQLite's ``eq_name_key`` returns the Python key (NUL kept); PostgreSQL's ICU agrees on letters."""
    from django.db import connection

    from equipage.directory.selectors import _name_sql

    values = ", ".join(["(%s)"] * len(TRICKY))
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT v FROM (VALUES {values}) AS t(v) ORDER BY {_name_sql('v')}"
            if connection.vendor == "postgresql"
            else f"SELECT column1 FROM (VALUES {values}) ORDER BY {_name_sql('column1')}",
            TRICKY,
        )
        got = [r[0] for r in cur.fetchall()]
        if connection.vendor == "sqlite":
            assert got == sorted(TRICKY, key=name_sort_key)
            cur.execute("SELECT eq_name_key(%s)", ["Élodie"])
            assert cur.fetchone()[0] == "elodie\x00Élodie"
        else:
            # ICU breaks ties of case and accents its own way: compare the folded order only.
            assert [name_key(n)[0] for n in got] == sorted(name_key(n)[0] for n in TRICKY)
