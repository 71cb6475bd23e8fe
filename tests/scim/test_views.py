"""SCIM errors speak the reader's language: Accept-Language, else the organization's (as the API).

The previous rule was Django's: the site's French whatever the organization,
so an English tenant's identity provider logged French details.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

USER = "application/scim+json"


def scim(
    client: Client, token: str, method: str, path: str, body: Any = None, **headers: str
) -> Any:
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.generic(
        method,
        f"/scim/v2{path}",
        json.dumps(body) if body is not None else "",
        content_type=USER,
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **extra,
    )


def new_user(login: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": login,
        "name": {"givenName": "Zoé", "familyName": "Belle"},
    }


@pytest.fixture
def french_org(org: Any) -> Any:
    org.language = "fr"
    org.save(update_fields=["language"])
    return org


def test_an_english_organizations_scim_errors_are_in_english(
    client: Client, scim_token: str, org: Any
) -> None:
    response = scim(client, scim_token, "GET", "/Users/999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "User 999999 not found."
    response = scim(client, scim_token, "POST", "/Users", new_user("owner"))
    assert response.status_code == 409
    assert response.json()["detail"] == "The userName “owner” is already taken."


def test_a_french_organizations_scim_errors_are_in_french(
    client: Client, scim_token: str, french_org: Any
) -> None:
    response = scim(client, scim_token, "GET", "/Users/999999")
    assert response.json()["detail"] == "User 999999 introuvable."
    response = scim(client, scim_token, "POST", "/Users", new_user("owner"))
    assert response.json()["detail"] == "Le userName « owner » est déjà pris."
    response = scim(client, scim_token, "POST", "/Users", [1])
    assert response.json()["detail"] == "Le corps de la requête doit être un objet JSON."


def test_accept_language_wins_over_the_organizations_language_in_scim(
    client: Client, scim_token: str, french_org: Any, org: Any
) -> None:
    response = scim(client, scim_token, "GET", "/Groups/999999", accept_language="en-GB,fr;q=0.5")
    assert response.json()["detail"] == "Group 999999 not found."
    org.language = "en"
    org.save(update_fields=["language"])
    response = scim(client, scim_token, "GET", "/Groups/abc", accept_language="fr-FR")
    assert response.json()["detail"] == "Ressource introuvable."


def test_an_error_of_the_members_actions_is_worded_in_the_readers_language_too(
    client: Client, scim_token: str, org: Any
) -> None:
    # The owner cannot be deactivated: the actions' own message, in French on request.
    owner_id = scim(client, scim_token, "GET", '/Users?filter=userName eq "owner"').json()
    user_id = owner_id["Resources"][0]["id"]
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    english = scim(client, scim_token, "PATCH", f"/Users/{user_id}", patch).json()["detail"]
    french = scim(
        client, scim_token, "PATCH", f"/Users/{user_id}", patch, accept_language="fr"
    ).json()["detail"]
    assert english and french and english != french
    assert "owner" in english.lower() and "propriétaire" in french.lower()


def test_scim_delete_puts_the_user_in_the_bin_and_then_it_is_not_found(
    client: Client, scim_token: str, org: Any, member: Any
) -> None:
    from equipage.accounts.models import Member

    assert scim(client, scim_token, "GET", f"/Users/{member.pk}").status_code == 200
    assert scim(client, scim_token, "DELETE", f"/Users/{member.pk}").status_code == 204
    assert Member.objects.get(pk=member.pk).state == "binned"
    assert scim(client, scim_token, "GET", f"/Users/{member.pk}").status_code == 404
    listed = scim(client, scim_token, "GET", f'/Users?filter=userName eq "{member.login}"')
    assert listed.json()["totalResults"] == 0
    # Its userName is still held: creating it again is a conflict, not a duplicate.
    again = scim(client, scim_token, "POST", "/Users", new_user(member.login))
    assert again.status_code == 409 and "in the bin" in again.json()["detail"]
