"""The directory's most asked pages (nothing filtered, by name or login) through a prepared read.

They must be exactly the pages the ORM's query gives: same order across equal
folded names, the bin left out, and never a member of another organization
(the attack: the statement compiled for one organization, run for another).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_member
from tests.directory.names import make_ties

pytestmark = pytest.mark.django_db


def _walk(viewer: Any, sort: str, per_page: int) -> tuple[list[int], list[int]]:
    """Follow the next cursors to the last page, then the previous ones back to the first."""
    from equipage.directory.selectors import DirectoryQuery, directory_page
    from equipage.permissions import Actor

    actor = Actor.for_member(viewer)
    base = {"sort": sort, "per_page": str(per_page)}
    page = directory_page(actor, DirectoryQuery.from_params(base))
    forward = [m.pk for m in page.members]
    while page.next_cursor:
        page = directory_page(
            actor, DirectoryQuery.from_params({**base, "after": page.next_cursor})
        )
        forward += [m.pk for m in page.members]
    backward = [m.pk for m in page.members]
    while page.prev_cursor:
        page = directory_page(
            actor, DirectoryQuery.from_params({**base, "before": page.prev_cursor})
        )
        backward = [m.pk for m in page.members] + backward
    return forward, backward


def _orm_order(viewer: Any, sort: str) -> list[int]:
    """The same list through the ORM's query, whole: what the pages must add up to."""
    from equipage.directory.selectors import SORTS, DirectoryQuery, _order, members_matching
    from equipage.permissions import Actor

    columns, desc = SORTS[sort]
    qs = members_matching(Actor.for_member(viewer), DirectoryQuery(sort=sort))
    return list(qs.order_by(*[_order(c, desc) for c in columns]).values_list("pk", flat=True))


@pytest.mark.parametrize("sort", ["name", "-name", "login", "-login"])
def test_prepared_pages_are_the_orm_s_pages_and_only_the_organization_s(
    org: Any, owner: Any, admin: Any, other_org: Any, other_owner: Any, sort: str
) -> None:
    from equipage.accounts.actions import member_delete
    from equipage.directory import selectors

    make_ties(org, owner)
    binned = make_member(org, owner, "Zoé", "Bin", email="bin@acme.test", login="bin")
    member_delete(actor=owner, member=binned)
    theirs = [
        make_member(other_org, other_owner, "Élodie", f"Autre{i}", email=f"o{i}@globex.test")
        for i in range(3)
    ]
    selectors._unfiltered_pages.clear()
    forward, backward = _walk(admin, sort, per_page=4)
    assert selectors._unfiltered_pages, "these pages went through the prepared read"
    expected = _orm_order(admin, sort)
    assert forward == expected and backward == expected
    assert binned.pk not in forward
    # The statements compiled for acme, run for globex: globex's members, none of acme's.
    other_forward, other_backward = _walk(other_owner, sort, per_page=2)
    assert sorted(other_forward) == sorted([other_owner.pk, *(m.pk for m in theirs)])
    assert other_forward == other_backward == _orm_order(other_owner, sort)


def test_a_filtered_page_or_a_group_admin_s_goes_through_the_orm(
    org: Any, owner: Any, group_admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.directory import selectors

    selectors._unfiltered_pages.clear()
    forward, _ = _walk(group_admin, "name", per_page=2)
    assert outsider.pk not in forward and member.pk in forward
    assert not selectors._unfiltered_pages


def test_the_api_list_walks_the_same_prepared_pages(
    client: Any, org: Any, owner: Any, other_org: Any, other_owner: Any
) -> None:
    """Page by page through the cursors: the ORM's order, no binned member, no other tenant."""
    from equipage.accounts.actions import member_delete
    from equipage.directory import selectors
    from equipage.tokens.actions import token_create
    from tests.api.test_endpoints import call

    make_ties(org, owner)
    binned = make_member(org, owner, "Zoé", "Bin", email="bin@acme.test", login="bin")
    member_delete(actor=owner, member=binned)
    make_member(other_org, other_owner, "Élodie", "Autre", email="o@globex.test")
    token = token_create(actor=owner, organization=org, name="t", scopes=["api:read"]).raw
    selectors._unfiltered_pages.clear()
    seen: list[int] = []
    cursor = ""
    for _ in range(50):
        response = call(client, token, "GET", f"/members?limit=3&cursor={cursor}")
        assert response.status_code == 200, response.content
        seen += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"] or ""
        if not cursor:
            break
    assert selectors._unfiltered_pages, "the API's pages went through the prepared read"
    assert seen == _orm_order(owner, "name")
