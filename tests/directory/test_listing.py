"""One member-list selector: the API and the CLI list through the console's indexed query.

``directory.listing.filter_members`` is ``directory.selectors.members_matching``
ordered by name, so a search is accent- and case-insensitive everywhere, goes
through the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL), and a page
of the API costs a fixed handful of queries whatever its length.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from equipage.directory.listing import filter_members, member_query
from equipage.directory.selectors import DirectoryQuery, directory_page
from equipage.permissions import as_actor
from tests.api.test_endpoints import call
from tests.conftest import make_member


@pytest.fixture
def token(org: Any, owner: Any) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=owner, organization=org, name="t", scopes=["api:read"]).raw


@pytest.fixture
def people(org: Any, owner: Any, groups: dict[str, Any]) -> dict[str, Any]:
    def person(first: str, last: str, login: str, **kw: Any) -> Any:
        return make_member(org, owner, first, last, login=login, email=f"{login}@x.test", **kw)

    return {
        "elodie": person("Élodie", "Œuvray", "elodie.oeuvray"),
        "zoe": person("Zoé", "Durand", "zoe.durand", groups=[groups["nord"]]),
        "zola": person("Émile", "Zola", "emile.zola"),
        "eva": person("Eva", "ÉLODIE-MARTIN", "eva.m"),
    }


def api_logins(client: Client, token: str, **params: str) -> list[str]:
    response = call(client, token, "GET", f"/members?{urlencode({'limit': 500, **params})}")
    assert response.status_code == 200, response.content
    return [m["login"] for m in response.json()["items"]]


@pytest.mark.parametrize("search", ["elodie", "ÉLODIE", "Elodie", "éLoDiE", "elo"])
def test_api_search_ignores_accents_and_case(
    client: Client, token: str, people: dict[str, Any], search: str
) -> None:
    # « Élodie » (first name) and « ÉLODIE-MARTIN » (last name), in the console's name order.
    assert api_logins(client, token, search=search) == ["eva.m", "elodie.oeuvray"]


def test_api_search_of_several_words_needs_every_word(
    client: Client, token: str, people: dict[str, Any]
) -> None:
    assert api_logins(client, token, search="zoe durand") == ["zoe.durand"]
    assert api_logins(client, token, search="œuvray elodie") == ["elodie.oeuvray"]
    assert api_logins(client, token, search="zoe zola") == []


def test_api_and_console_list_the_same_members_for_the_same_filters(
    client: Client, token: str, org: Any, owner: Any, people: dict[str, Any], groups: Any
) -> None:
    actor = as_actor(owner)
    for api, console in [
        ({"search": "elodie"}, {"q": "elodie"}),
        ({"search": "e"}, {"q": "e"}),
        ({"group": str(groups["ventes"].pk)}, {"group": groups["ventes"].pk}),
        ({"state": "active"}, {"state": "active"}),
        ({"role": "owner"}, {"role": "owner"}),
    ]:
        page = directory_page(actor, DirectoryQuery(per_page=200, **console))  # type: ignore[arg-type]
        assert api_logins(client, token, **api) == [m.login for m in page.members], api


def test_api_search_goes_through_the_trigram_index(
    client: Client, token: str, people: dict[str, Any]
) -> None:
    with CaptureQueriesContext(connection) as ctx:
        assert api_logins(client, token, search="oeuvray") == ["elodie.oeuvray"]
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    # SQLite: the FTS5 trigram table; PostgreSQL: the probe's LIKE that pg_trgm answers.
    assert ("directory_member_fts" in sql) if connection.vendor == "sqlite" else ("LIKE" in sql)


def test_a_page_of_fifty_members_costs_a_handful_of_queries_whatever_its_length(
    client: Client, token: str, org: Any, owner: Any
) -> None:
    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert len(api_logins(client, token, limit=str(limit))) == min(limit, count)
        return len(ctx.captured_queries)

    for i in range(60):
        make_member(org, owner, f"Prénom{i}", f"Nom{i}", login=f"m{i}", email=f"m{i}@x.test")
    count = 61
    queries(1)  # the token's first use of the day is recorded once
    # The least of two: a token is verified again once VERIFIED_TOKEN_SECONDS have passed.
    few, fifty = min(queries(5), queries(5)), min(queries(50), queries(50))
    assert few == fifty, (few, fifty)
    # The page and its facts (one statement); the token verified and counted in memory.
    assert fifty <= 2, fifty


def test_a_group_or_label_of_another_organization_matches_nobody(
    org: Any, owner: Any, other_org: Any, other_owner: Any, people: dict[str, Any]
) -> None:
    from equipage.groups.actions import group_create

    theirs = group_create(actor=other_owner, organization=other_org, name="Leurs")
    actor = as_actor(owner)
    assert member_query(actor, group=str(theirs.pk)) is None
    assert member_query(actor, group="Leurs") is None
    assert member_query(actor, label="nowhere") is None
    assert not filter_members(actor, None).exists()


def test_the_api_list_sends_exactly_the_member_schema_fields(
    client: Client, token: str, people: dict[str, Any]
) -> None:
    """The list is rendered without pydantic: every item must still be a MemberOut, no more."""
    from equipage.api.routers.members import MemberOut, MemberPage

    response = call(client, token, "GET", "/members?limit=2")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert MemberPage.model_validate(body).model_dump(mode="json") == body
    assert all(list(item) == list(MemberOut.model_fields) for item in body["items"])
    assert body["next_cursor"]
