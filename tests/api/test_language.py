"""API errors speak Accept-Language when it names a language we have, else the organization's."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.api.test_endpoints import call


@pytest.fixture
def french_org(org: Any) -> Any:
    org.language = "fr"
    org.save(update_fields=["language"])
    return org


def test_errors_are_in_the_organizations_language_without_accept_language(
    client: Client, write_token: str, org: Any
) -> None:
    """acme speaks English: no more French by default (the site's LANGUAGE_CODE)."""
    response = call(client, write_token, "GET", "/members/999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "Member not found."
    assert response["Content-Language"] == "en"


def test_errors_of_a_french_organization_are_in_french(
    client: Client, write_token: str, french_org: Any
) -> None:
    response = call(client, write_token, "POST", "/members", {"first_name": ""})
    body = response.json()
    assert response.status_code == 422
    assert body["title"] == "Données invalides"
    assert body["detail"] == "La requête n'est pas valide."
    assert {"field": "last_name", "message": "Ce champ est obligatoire."} in body["errors"]


def test_accept_language_wins_over_the_organizations_language(
    client: Client, write_token: str, french_org: Any
) -> None:
    response = call(client, write_token, "GET", "/members/999999", accept_language="en-GB,fr;q=0.5")
    assert response.json()["detail"] == "Member not found."
    response = call(client, write_token, "PATCH", "/groups/1", [1], accept_language="en")
    assert response.json()["errors"][0]["message"] == "The body must be a JSON object."


def test_an_accept_language_we_do_not_speak_falls_back_to_the_organizations(
    client: Client, write_token: str, french_org: Any
) -> None:
    response = call(client, write_token, "GET", "/members/999999", accept_language="de, *")
    assert response.json()["detail"] == "Membre introuvable."


def test_an_unreadable_json_body_is_explained_in_the_readers_language(
    client: Client, write_token: str, french_org: Any
) -> None:
    response = client.post(
        "/api/v1/labels",
        data=b'{"name": ',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Le corps de la requête est illisible"
