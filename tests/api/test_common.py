"""Bodies the API cannot take: a JSON value that is not an object, a malformed multipart."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.api.test_endpoints import API


@pytest.mark.parametrize("body", [[None, None], 367, "Ventes", None, True])
@pytest.mark.parametrize("resource", ["members", "groups"])
def test_a_patch_whose_body_is_not_an_object_is_a_422_and_changes_nothing(
    client: Client, write_token: str, member: Any, groups: Any, resource: str, body: Any
) -> None:
    """Attack: ninja's Schema reads attributes off any value, so these passed as "no field"."""
    target = member if resource == "members" else groups["ventes"]
    before = client.get(
        f"{API}/{resource}/{target.pk}", HTTP_AUTHORIZATION=f"Bearer {write_token}"
    ).json()
    response = client.patch(
        f"{API}/{resource}/{target.pk}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "", "message": "The body must be a JSON object."}
    ]
    after = client.get(
        f"{API}/{resource}/{target.pk}", HTTP_AUTHORIZATION=f"Bearer {write_token}"
    ).json()
    assert after == before


def test_a_create_whose_body_is_a_list_is_a_422(client: Client, write_token: str, db: Any) -> None:
    response = client.post(
        f"{API}/labels",
        data="[]",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\x01"],
)
def test_a_malformed_multipart_body_is_a_problem_json_400(
    client: Client, write_token: str, db: Any, content_type: str
) -> None:
    response = client.post(
        f"{API}/imports",
        data=b"--x\r\nnot a part",
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/malformed_body")
