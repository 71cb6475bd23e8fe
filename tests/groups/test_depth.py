"""The group tree is bounded and walked without recursion ("Unbounded work", issue #13.3).

The attack: a chain of 300 nested groups, after which ``/o/<slug>/groups/``
answered 500 (RecursionError) and adding a member to the deepest group wrote
302 membership rows.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from equipage.core.errors import InvariantViolation
from equipage.groups.actions import MAX_DEPTH, group_add_member, group_create, group_move
from equipage.groups.models import Group, GroupMembership


def _chain(org: Any, actor: Any, levels: int, prefix: str = "L") -> list[Group]:
    groups: list[Group] = []
    for level in range(1, levels + 1):
        parent = groups[-1] if groups else None
        groups.append(
            group_create(actor=actor, organization=org, name=f"{prefix}{level}", parent=parent)
        )
    return groups


def test_a_chain_of_300_groups_stops_at_the_twenty_first_level(org: Any, admin: Any) -> None:
    groups: list[Group] = []
    with pytest.raises(InvariantViolation, match="20 levels"):
        for level in range(1, 301):
            parent = groups[-1] if groups else None
            groups.append(
                group_create(actor=admin, organization=org, name=f"L{level}", parent=parent)
            )
    assert len(groups) == MAX_DEPTH == 20
    assert not Group.objects.filter(organization=org, name="L21").exists()


def test_the_api_refuses_the_twenty_first_level_in_problem_json(
    client: Client, org: Any, admin: Any, owner: Any
) -> None:
    from equipage.tokens.actions import token_create

    token = token_create(actor=owner, organization=org, name="t", scopes=["api"]).raw
    deepest = _chain(org, admin, 20)[-1]
    resp = client.post(
        "/api/v1/groups",
        json.dumps({"name": "L21", "parent_id": deepest.pk}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert resp.status_code == 409, resp.content
    assert resp["Content-Type"] == "application/problem+json"
    assert "20" in resp.json()["detail"]  # the bound, named (in the organization's language)


def test_moving_a_subtree_below_the_limit_is_refused(org: Any, admin: Any) -> None:
    deep = _chain(org, admin, 15)
    branch = _chain(org, admin, 6, prefix="B")  # 6 levels: 15 + 6 > 20
    with pytest.raises(InvariantViolation, match="20 levels"):
        group_move(actor=admin, group=branch[0], new_parent=deep[-1])
    assert Group.objects.get(pk=branch[0].pk).parent_id is None
    group_move(actor=admin, group=branch[1], new_parent=deep[-1])  # 5 levels fit: 15 + 5
    assert Group.objects.get(pk=branch[-1].pk).depth == 19


def test_a_tree_of_twenty_levels_renders(org: Any, admin: Any) -> None:
    chain = _chain(org, admin, 20)
    group_create(actor=admin, organization=org, name="Sibling", parent=chain[3])
    client = Client()
    client.force_login(admin, backend="equipage.accounts.backends.MemberBackend")
    page = client.get(f"/o/{org.slug}/groups/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<ul>") == html.count("</ul>") - 1  # every nested list closed (+ .tree)
    assert all(f">L{level}</a>" in html for level in range(1, 21))


def test_a_member_added_to_the_deepest_group_joins_at_most_twenty_groups(
    org: Any, admin: Any, member: Any
) -> None:
    deepest = _chain(org, admin, 20)[-1]
    before = GroupMembership.objects.filter(member=member).count()
    group_add_member(actor=admin, group=deepest, member=member)
    assert GroupMembership.objects.filter(member=member).count() - before == 20
