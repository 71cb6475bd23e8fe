"""The directory page's search plan: rare words list ids, frequent words walk the name index.

Both plans must give the same page as the plain trigram-index plan used by counts.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(org: Any, owner: Any, groups: dict[str, Any]) -> list[Any]:
    """Twelve Élodies (half in « Ventes Nord », a third deactivated) and two Théos."""
    from equipage.accounts.actions import members_deactivate

    made = [
        make_member(
            org,
            owner,
            "Élodie",
            f"Nom{i:02d}",
            groups=[groups["nord"]] if i % 2 else [],
            email=f"elodie{i}@acme.test",
        )
        for i in range(12)
    ]
    made += [make_member(org, owner, "Théo", f"Zed{i}", email=f"t{i}@acme.test") for i in range(2)]
    members_deactivate(actor=owner, organization=org, members=made[:12:3])
    return made


def _page(admin: Any, **params: str) -> list[str]:
    from equipage.directory.selectors import DirectoryQuery, directory_page
    from equipage.permissions import Actor

    page = directory_page(Actor.for_member(admin), DirectoryQuery.from_params(params))
    return [m.last_name for m in page.members]


def _all(admin: Any, **params: str) -> list[str]:
    from equipage.directory.selectors import DirectoryQuery, members_matching
    from equipage.permissions import Actor

    qs = members_matching(Actor.for_member(admin), DirectoryQuery.from_params(params))
    return list(qs.order_by("last_name", "first_name", "id").values_list("last_name", flat=True))


@pytest.mark.parametrize("limit", [1000, 3])  # rare plan, then frequent (walk) plan
@pytest.mark.parametrize(
    "params",
    [
        {"q": "elodie"},
        {"q": "ELODIE nom0"},
        {"q": "élo", "state": "active"},
        {"q": "elodie", "group": "nord"},
        {"q": "lodie7@acme"},
        {"q": "theo"},
        {"q": "el"},
    ],
)
def test_page_plans_agree_with_the_index_plan(
    roster: Any,
    admin: Any,
    groups: dict[str, Any],
    monkeypatch: Any,
    limit: int,
    params: dict[str, str],
) -> None:
    from equipage.directory import selectors

    monkeypatch.setattr(selectors, "RARE_LIMIT", limit)
    if params.get("group"):
        params = {**params, "group": str(groups[params["group"]].pk)}
    expected = _all(admin, **params)[:5]
    assert expected, "the roster must match something"
    assert _page(admin, per_page="5", **params) == expected


def test_probe_lists_rare_words_and_gives_up_on_frequent_ones(
    roster: Any, org: Any, monkeypatch: Any
) -> None:
    from equipage.directory.selectors import probe_search

    assert probe_search(org.pk, "theo", limit=5) is not None
    assert len(probe_search(org.pk, "theo", limit=5) or []) == 2
    assert probe_search(org.pk, "elodie", limit=5) is None
    assert probe_search(org.pk, "el", limit=5) is None  # short words never use the index


def test_small_group_gives_the_list_when_the_word_is_frequent(
    roster: Any, admin: Any, groups: dict[str, Any], monkeypatch: Any
) -> None:
    from equipage.directory import selectors

    monkeypatch.setattr(selectors, "RARE_LIMIT", 8)
    query = selectors.DirectoryQuery.from_params({"group": str(groups["nord"].pk)})
    small = selectors._small_filter_ids(admin.organization_id, query)
    assert small is not None and len(small) == 6
    assert _page(admin, q="elodie", group=str(groups["nord"].pk)) == [
        f"Nom{i:02d}" for i in range(1, 12, 2)
    ]


def test_page_search_never_shows_another_organizations_members(
    roster: Any, other_admin: Any, other_org: Any, monkeypatch: Any
) -> None:
    from equipage.directory import selectors

    for limit in (1000, 3):
        monkeypatch.setattr(selectors, "RARE_LIMIT", limit)
        assert _page(other_admin, q="elodie") == []


def test_group_admin_search_stays_within_reach(
    roster: Any, group_admin: Any, monkeypatch: Any
) -> None:
    from equipage.directory import selectors

    for limit in (1000, 3):
        monkeypatch.setattr(selectors, "RARE_LIMIT", limit)
        assert _page(group_admin, q="elodie") == [f"Nom{i:02d}" for i in range(1, 12, 2)]


@pytest.fixture
def pending(org: Any, owner: Any) -> list[Any]:
    """Six members never logged in: three only created, three invited (one of them expired)."""
    from equipage.accounts.actions import member_create
    from equipage.accounts.models import MemberState
    from equipage.invitations.actions import members_invite

    made = [
        member_create(
            actor=owner,
            organization=org,
            first_name="Zoé",
            last_name=f"Attente{i}",
            email=f"zoe{i}@acme.test",
            state=MemberState.CREATED,
        )
        for i in range(6)
    ]
    members_invite(actor=owner, organization=org, members=made[3:])
    return made


@pytest.mark.parametrize("limit", [1000, 2])  # the short list of pending members, then the walk
@pytest.mark.parametrize(
    "params",
    [
        {"state": "created"},
        {"state": "invited"},
        {"guide": "invite"},
        {"guide": "wait"},
        {"state": "invited", "q": "zoe"},
    ],
)
def test_pending_member_filters_give_the_same_page_by_either_plan(
    roster: Any, pending: Any, admin: Any, monkeypatch: Any, limit: int, params: dict[str, str]
) -> None:
    from equipage.directory import selectors

    monkeypatch.setattr(selectors, "RARE_LIMIT", limit)
    expected = _all(admin, **params)[:5]
    assert expected, "the roster must match something"
    assert _page(admin, per_page="5", **params) == expected
