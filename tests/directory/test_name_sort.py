"""Names sort accent- and case-insensitively (« Élodie » with the E, not after « Zoé »).

PostgreSQL sorts by the ``eq_name`` ICU collation, SQLite by the key function
``eq_name_key`` (accounts/collation.py); each engine's name-walk index is built
on the same expressions, so a page is still one index walk.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_member
from tests.directory.names import make_ties

pytestmark = pytest.mark.django_db

NAMES = ["Zoé", "Éric", "Dupont", "élodie", "Emma", "Eva", "Ébert", "Zola", "Durand"]
SORTED = ["Dupont", "Durand", "Ébert", "élodie", "Emma", "Éric", "Eva", "Zoé", "Zola"]


@pytest.fixture
def named(org: Any, owner: Any) -> list[Any]:
    """Members whose last names start with accented and plain capitals, plus lower case."""
    return [
        make_member(org, owner, "Camille", name, email=f"c{i}@acme.test", login=f"sort{i}")
        for i, name in enumerate(NAMES)
    ]


def _walk(admin: Any, **params: str) -> list[str]:
    """Follow the next cursors from the first page to the last; return the last names seen."""
    from equipage.directory.selectors import DirectoryQuery, directory_page
    from equipage.permissions import Actor

    actor = Actor.for_member(admin)
    seen: list[str] = []
    after = ""
    for _ in range(50):
        page = directory_page(actor, DirectoryQuery.from_params({**params, "after": after}))
        seen += [m.last_name for m in page.members]
        if not page.next_cursor:
            return seen
        after = page.next_cursor
    raise AssertionError("the cursors never ended")


def _ours(names: list[str]) -> list[str]:
    return [n for n in names if n in NAMES]


def _plan(qs: Any, limit: int) -> tuple[str, str]:
    """Return the SQL of ``qs[:limit]`` and the engine's plan for it, one line.

    PostgreSQL plans with scans and sorts discouraged: the table is tiny, and the
    question is whether the index can serve the order at all.
    """
    from django.db import connection

    sql, params = qs[:limit].query.sql_with_params()
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return sql, " | ".join(str(r[-1]) for r in cur.fetchall())
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute(f"EXPLAIN {sql}", params)
        return sql, " | ".join(r[0] for r in cur.fetchall())


def test_names_sort_with_their_unaccented_letter(named: Any, admin: Any) -> None:
    assert _ours(_walk(admin)) == SORTED
    assert _ours(_walk(admin, sort="-name")) == SORTED[::-1]


def test_keyset_pages_cross_accented_names_without_loss_or_repeat(named: Any, admin: Any) -> None:
    whole = _walk(admin)
    assert _walk(admin, per_page="2") == whole
    assert _walk(admin, per_page="3", sort="-name") == whole[::-1]


def test_previous_page_cursor_goes_back_across_accents(named: Any, admin: Any) -> None:
    from equipage.directory.selectors import DirectoryQuery, directory_page
    from equipage.permissions import Actor

    actor = Actor.for_member(admin)
    first = directory_page(actor, DirectoryQuery.from_params({"per_page": "3", "q": "camille"}))
    second = directory_page(
        actor,
        DirectoryQuery.from_params({"per_page": "3", "q": "camille", "after": first.next_cursor}),
    )
    back = directory_page(
        actor,
        DirectoryQuery.from_params({"per_page": "3", "q": "camille", "before": second.prev_cursor}),
    )
    assert [m.last_name for m in first.members] == SORTED[:3]
    assert [m.last_name for m in second.members] == SORTED[3:6]
    assert [m.pk for m in back.members] == [m.pk for m in first.members]


@pytest.mark.parametrize("limit", [1000, 1])  # rare plan (id list), frequent plan (index walk)
def test_search_pages_keep_the_accent_insensitive_order(
    named: Any, admin: Any, monkeypatch: Any, limit: int
) -> None:
    from equipage.directory import selectors

    monkeypatch.setattr(selectors, "RARE_LIMIT", limit)
    assert _walk(admin, q="camille", per_page="4") == SORTED


def test_other_organization_sees_none_of_the_sorted_names(named: Any, other_admin: Any) -> None:
    assert _ours(_walk(other_admin)) == []


def test_member_without_view_right_sees_only_themself(named: Any, member: Any) -> None:
    assert _walk(member) == [member.last_name]


def test_name_key_is_deterministic_and_folds_accents() -> None:
    from equipage.accounts.collation import compare_names

    assert compare_names("Élodie", "Emma") < 0
    assert compare_names("Zoé", "Éric") > 0
    assert compare_names("Élodie", "Elodie") != 0  # a total order: only equal names are equal
    assert compare_names("Élodie", "Élodie") == 0


def test_page_walks_the_collated_name_index(named: Any, admin: Any) -> None:
    """The page query is answered by the name index in order, with no sort step."""
    from django.db import connection

    from equipage.directory import selectors
    from equipage.permissions import Actor

    query = selectors.DirectoryQuery.from_params({"q": "camille"})
    qs = selectors.members_matching(Actor.for_member(admin), query, for_page=True)
    columns, _desc = selectors.SORTS["name"]
    qs = qs.order_by(*[selectors._order(c, False) for c in columns]).values_list("pk", flat=True)
    _sql, plan = _plan(qs, 51)
    if connection.vendor == "sqlite":
        assert "directory_member_name_cover" in plan, plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
    else:
        assert "directory_member_name_cover" in plan, plan
        assert "Sort" not in plan.replace("Sort Key", ""), plan


def test_keyset_page_seeks_the_name_index_instead_of_scanning(named: Any, admin: Any) -> None:
    """A page after a cursor starts inside the index (a range on the name), not at its start."""
    from django.db import connection

    from equipage.directory import selectors
    from equipage.permissions import Actor

    actor = Actor.for_member(admin)
    first = selectors.directory_page(actor, selectors.DirectoryQuery.from_params({"per_page": "2"}))
    cursor = selectors.decode_cursor(first.next_cursor, "name")
    assert cursor is not None
    columns, _desc = selectors.SORTS["name"]
    qs = selectors._keyset(
        selectors.members_matching(actor, selectors.DirectoryQuery(), for_page=True),
        columns,
        cursor,
        ">",
    )
    qs = qs.order_by(*[selectors._order(c, False) for c in columns]).values_list("pk", flat=True)
    _sql, plan = _plan(qs, 51)
    if connection.vendor == "sqlite":
        # The index holds eq_name_key(last_name) (directory 0006): a range on that expression.
        assert "directory_member_name_cover (organization_id=? AND <expr>>?)" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "directory_member_name_cover" in plan, plan


@pytest.fixture
def ties(org: Any, owner: Any) -> list[Any]:
    return make_ties(org, owner)


def _pages(admin: Any, per_page: int, **params: str) -> tuple[list[list[int]], list[list[int]]]:
    """Follow the next cursors, then the previous ones back; return both lists of pages."""
    from equipage.directory.selectors import DirectoryQuery, directory_page
    from equipage.permissions import Actor

    actor = Actor.for_member(admin)
    base = {**params, "q": "zoe", "per_page": str(per_page)}
    forward: list[list[int]] = []
    page = directory_page(actor, DirectoryQuery.from_params(base))
    while True:
        forward.append([m.pk for m in page.members])
        if not page.next_cursor:
            break
        page = directory_page(
            actor, DirectoryQuery.from_params({**base, "after": page.next_cursor})
        )
    backward = [[m.pk for m in page.members]]
    while page.prev_cursor:
        page = directory_page(
            actor, DirectoryQuery.from_params({**base, "before": page.prev_cursor})
        )
        backward.append([m.pk for m in page.members])
    return forward, backward[::-1]


@pytest.mark.parametrize("sort", ["name", "-name"])
def test_keyset_pages_cross_equal_folded_names_both_ways(ties: Any, admin: Any, sort: str) -> None:
    from django.db import connection

    from equipage.accounts.collation import name_key
    from equipage.core.text import fold

    whole = _pages(admin, 100, sort=sort)[0][0]
    assert sorted(whole) == sorted(m.pk for m in ties)
    forward, backward = _pages(admin, 3, sort=sort)
    assert [pk for page in forward for pk in page] == whole
    assert backward == forward  # the previous-page cursors give back exactly the same pages
    by_pk = {m.pk: m for m in ties}
    if connection.vendor == "sqlite":
        # The key function: folded name, then the exact text, then the id.
        expected = sorted(
            ties,
            key=lambda m: (name_key(m.last_name), name_key(m.first_name), m.pk),
            reverse=sort == "-name",
        )
        assert whole == [m.pk for m in expected]
    else:
        # ICU breaks case and accent ties its own way; the folded order is the same.
        folded = [(fold(by_pk[pk].last_name), fold(by_pk[pk].first_name)) for pk in whole]
        assert folded == sorted(folded, reverse=sort == "-name")
    names = [(by_pk[pk].last_name, by_pk[pk].first_name) for pk in whole]
    twin = names.index(("Élodie", "Zoé"))
    assert names[twin : twin + 2] == [("Élodie", "Zoé")] * 2  # one exact name: by id, together


@pytest.mark.parametrize("sort", ["name", "-name"])
@pytest.mark.parametrize("cursor", ["", "after", "before"])
@pytest.mark.parametrize("q", ["", "zoe"])
def test_every_name_page_walks_the_name_index_without_sorting(
    ties: Any, admin: Any, monkeypatch: Any, sort: str, cursor: str, q: str
) -> None:
    """Both directions, with or without a cursor or a frequent word: the name index, no sort step.

    On SQLite the index is on ``eq_name_key(...)`` (directory 0006); on PostgreSQL
    on the ``eq_name`` collation (0005). Each engine's branch checks its own plan.
    """
    from django.db import connection

    from equipage.directory import selectors
    from equipage.permissions import Actor

    monkeypatch.setattr(selectors, "RARE_LIMIT", 1)  # a word is frequent: the walk plan
    actor = Actor.for_member(admin)
    query = selectors.DirectoryQuery.from_params({"sort": sort, "q": q, "per_page": "2"})
    columns, desc = selectors.SORTS[sort]
    qs = selectors.members_matching(actor, query, for_page=True)
    descending = desc
    if cursor:
        first = selectors.directory_page(actor, query)
        values = selectors.decode_cursor(first.next_cursor, sort)
        assert values is not None
        descending = desc != (cursor == "before")
        qs = selectors._keyset(qs, columns, values, "<" if descending else ">")
    qs = qs.order_by(*[selectors._order(c, descending) for c in columns]).values_list("pk")
    sql, plan = _plan(qs, 3)
    if connection.vendor == "sqlite":
        assert "eq_name_key(" in sql and "COLLATE" not in sql, sql
        # Index-only: the raw names close the index (directory 0006), no row is read.
        assert "USING COVERING INDEX directory_member_name_cover (organization_id=?" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        if cursor:
            bound = "<expr><?" if descending else "<expr>>?"
            assert f"(organization_id=? AND {bound})" in plan, plan
    else:
        assert 'COLLATE "eq_name"' in sql or "COLLATE eq_name" in sql, sql
        assert "directory_member_name_cover" in plan, plan
        assert "Sort" not in plan.replace("Sort Key", ""), plan
