"""GET /groups/{id}/members lists the group's members in the console's name order."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.api.test_endpoints import call
from tests.conftest import make_member

NAMES = ["Zoé", "Élodie", "de la Fontaine", "Dupont"]
SORTED = ["de la Fontaine", "Dupont", "Élodie", "Zoé"]


def test_group_members_are_listed_accent_insensitively(
    client: Client, read_token: str, org: Any, owner: Any, groups: dict[str, Any]
) -> None:
    for i, name in enumerate(NAMES):
        make_member(
            org,
            owner,
            "Camille",
            name,
            groups=[groups["atelier"]],
            login=f"g{i}",
            email=f"g{i}@acme.test",
        )
    response = call(client, read_token, "GET", f"/groups/{groups['atelier'].pk}/members")
    assert response.status_code == 200, response.content
    assert [m["last_name"] for m in response.json()] == SORTED


def test_group_members_of_another_organization_are_not_found(
    client: Client, other_token: str, org: Any, owner: Any, groups: dict[str, Any]
) -> None:
    make_member(
        org,
        owner,
        "Camille",
        "Zoé",
        groups=[groups["atelier"]],
        login="g.zoe",
        email="g.zoe@acme.test",
    )
    response = call(client, other_token, "GET", f"/groups/{groups['atelier'].pk}/members")
    assert response.status_code == 404
