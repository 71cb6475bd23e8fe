"""GET /members lists names in the console's order: accent- and case-insensitive, exact paging.

The order and the cursor comparison are the directory's name order
(accounts/ordering.py), so « Élodie » comes before « Zoé » and the first
page walks the name index ``directory_member_name_cover``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client

from tests.api.test_endpoints import call
from tests.conftest import make_member
from tests.directory.names import make_ties
from tests.directory.plans import assert_walks_name_index, captured, name_query

NAMES = ["Zoé", "Zola", "Élodie", "Emma", "de la Fontaine", "Dupont", "Durand", "Eva"]
# Binary order would put « Élodie » and « de la Fontaine » after « Zola ».
SORTED = ["de la Fontaine", "Dupont", "Durand", "Élodie", "Emma", "Eva", "Zoé", "Zola"]


@pytest.fixture
def named(org: Any, owner: Any) -> list[Any]:
    return [
        make_member(org, owner, "Camille", name, email=f"n{i}@acme.test", login=f"name{i}")
        for i, name in enumerate(NAMES)
    ]


@pytest.fixture
def ties(org: Any, owner: Any) -> list[Any]:
    return make_ties(org, owner)


def _walk(client: Client, token: str, limit: int, search: str = "") -> list[dict[str, Any]]:
    """Follow next_cursor from the first page to the last; return every item seen."""
    seen: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(100):
        path = f"/members?limit={limit}&search={quote(search)}&cursor={cursor}"
        response = call(client, token, "GET", path)
        assert response.status_code == 200, response.content
        page = response.json()
        seen += page["items"]
        cursor = page["next_cursor"] or ""
        if not cursor:
            return seen
    raise AssertionError("the cursors never ended")


def test_members_list_sorts_names_accent_insensitively(
    client: Client, read_token: str, named: Any
) -> None:
    names = [m["last_name"] for m in _walk(client, read_token, 500)]
    assert [n for n in names if n in NAMES] == SORTED


def test_members_cursor_pages_keep_the_accent_insensitive_order(
    client: Client, read_token: str, named: Any
) -> None:
    whole = [m["id"] for m in _walk(client, read_token, 500)]
    assert [m["id"] for m in _walk(client, read_token, 3)] == whole


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_members_cursor_pages_cross_equal_folded_names_once_each_in_order(
    client: Client, read_token: str, ties: list[Any], limit: int
) -> None:
    from equipage.accounts.collation import name_key
    from equipage.core.text import fold

    whole = [m["id"] for m in _walk(client, read_token, 500, search="zoe")]
    assert sorted(whole) == sorted(m.pk for m in ties)
    paged = [m["id"] for m in _walk(client, read_token, limit, search="zoe")]
    assert paged == whole  # every member exactly once, in the same order
    by_pk = {m.pk: m for m in ties}
    if connection.vendor == "sqlite":
        # Folded name, then the exact text, then the id (collation.name_sort_key).
        expected = sorted(ties, key=lambda m: (name_key(m.last_name), name_key(m.first_name), m.pk))
        assert whole == [m.pk for m in expected]
    else:
        # ICU breaks case and accent ties its own way; the folded order is the same.
        folded = [(fold(by_pk[pk].last_name), fold(by_pk[pk].first_name)) for pk in whole]
        assert folded == sorted(folded)
    names = [(by_pk[pk].last_name, by_pk[pk].first_name) for pk in whole]
    twin = names.index(("Élodie", "Zoé"))
    assert names[twin : twin + 2] == [("Élodie", "Zoé")] * 2
    twins = [pk for pk in whole if (by_pk[pk].last_name, by_pk[pk].first_name) == ("Élodie", "Zoé")]
    assert twins == sorted(twins)  # identical names: by id


def test_members_list_of_another_organization_shows_none_of_these_names(
    client: Client, other_token: str, named: Any
) -> None:
    names = [m["last_name"] for m in _walk(client, other_token, 2)]
    assert names and not set(names) & set(NAMES)


def test_members_list_refuses_a_malformed_cursor(client: Client, read_token: str) -> None:
    response = call(client, read_token, "GET", "/members?cursor=not-a-cursor")
    assert response.status_code in (400, 422), response.content


def test_members_list_without_a_token_is_refused(client: Client, named: Any) -> None:
    assert call(client, None, "GET", "/members").status_code == 401


def test_members_first_and_next_pages_walk_the_name_index(
    client: Client, read_token: str, ties: Any
) -> None:
    with captured() as ctx:
        first = call(client, read_token, "GET", "/members?limit=2").json()
    assert_walks_name_index(name_query(ctx))
    cursor = first["next_cursor"]
    assert cursor
    with captured() as ctx:
        call(client, read_token, "GET", f"/members?limit=2&cursor={cursor}")
    assert_walks_name_index(name_query(ctx), seek=True)


def test_a_member_read_then_written_back_unchanged_is_a_200_even_with_an_empty_last_name(
    client: Client, write_token: str, owner: Any
) -> None:
    """Okta's first user: the owner set up without a last name (stored before the rule)."""
    from equipage.accounts.models import Member

    Member.objects.filter(pk=owner.pk).update(last_name="")
    read = call(client, write_token, "GET", f"/members/{owner.pk}")
    editable = ("login", "email", "first_name", "last_name", "phone", "job_title", "language")
    body = {key: read.json()[key] for key in (*editable, "external_id")}
    written = call(
        client, write_token, "PATCH", f"/members/{owner.pk}", body, if_match=read["ETag"]
    )
    assert written.status_code == 200, written.content
    assert written.json() == read.json()
    assert written["ETag"] == read["ETag"]
    # A real change is still checked by the rules: emptying the first name is refused.
    refused = call(client, write_token, "PATCH", f"/members/{owner.pk}", {"first_name": ""})
    assert refused.status_code == 400


def test_paging_through_the_longest_names_gives_cursors_the_schema_accepts(
    client: Client, read_token: str, org: Any, owner: Any
) -> None:
    """Attack: names of 150 four-byte characters, the longest a cursor can hold."""
    for i, char in enumerate("𝔄𝔅"):
        make_member(org, owner, char * 150, char * 150, email=f"long{i}@acme.test", login=f"l{i}")
    cursor, seen = "", 0
    while True:
        page = call(client, read_token, "GET", f"/members?limit=1&cursor={cursor}")
        assert page.status_code == 200, page.content
        seen += len(page.json()["items"])
        cursor = page.json()["next_cursor"] or ""
        if not cursor:
            break
        assert len(cursor) <= 2500 and cursor.replace("-", "").replace("_", "").isalnum()
    assert seen >= 3
