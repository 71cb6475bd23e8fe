"""The API and SCIM answer JSON whatever goes wrong; bodies over the limit get 413 (#13.3).

The attack: bodies far over the limit, and requests that make the server fail,
answered with Django's HTML pages instead of problem+json / SCIM errors.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

PROBLEM = "application/problem+json"


@pytest.fixture
def scim_token(org: Any, owner: Any) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=owner, organization=org, name="idp", scopes=["scim"]).raw


def test_api_body_over_the_limit_answers_413_in_problem_json(
    client: Client, write_token: str
) -> None:
    body = json.dumps({"first_name": "A" * 3_000_000, "last_name": "B"})
    resp = client.post(
        "/api/v1/members",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
        HTTP_ACCEPT_LANGUAGE="en",  # refused before the token is read: the client's language
    )
    assert resp.status_code == 413
    assert resp["Content-Type"] == PROBLEM
    assert resp.json()["status"] == 413 and "too large" in resp.json()["detail"]


def test_scim_body_over_the_limit_answers_413_in_the_scim_error_schema(
    client: Client, scim_token: str
) -> None:
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x" * 3_000_000}
    body = json.dumps(user)
    resp = client.post(
        "/scim/v2/Users",
        body,
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim_token}",
    )
    assert resp.status_code == 413
    assert resp["Content-Type"] == "application/scim+json"
    assert resp.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert resp.json()["status"] == "413"


def test_roster_upload_over_the_import_cap_answers_413(
    client: Client, write_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from equipage.api import middleware

    monkeypatch.setattr(middleware.limits, "MAX_FILE_BYTES", 10_000)
    monkeypatch.setattr(middleware, "MULTIPART_SLACK", 1000)
    upload = SimpleUploadedFile("roster.csv", b"Nom;Prenom;Etat\r\n" * 2000)
    resp = client.post(
        "/api/v1/imports/preview",
        {"file": upload, "mode": "upsert"},
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert resp.status_code == 413 and resp["Content-Type"] == PROBLEM


def test_api_server_error_answers_500_in_problem_json(
    client: Client, read_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from equipage.api.routers import groups

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(groups, "authorize", crash)
    resp = client.get("/api/v1/groups", HTTP_AUTHORIZATION=f"Bearer {read_token}")
    assert resp.status_code == 500
    assert resp["Content-Type"] == PROBLEM
    assert "a bug" not in resp.content.decode()  # no internals leak


def test_unknown_api_and_scim_paths_answer_json(client: Client) -> None:
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404 and api["Content-Type"] == PROBLEM
    scim = client.get("/scim/nowhere")
    assert scim.status_code == 404 and scim["Content-Type"] == "application/scim+json"


def test_console_pages_keep_their_html(client: Client, db: Any) -> None:
    page = client.get("/o/no-such-org/login")
    assert "json" not in page["Content-Type"]


def test_multipart_without_a_boundary_is_a_client_error_in_json(
    client: Client, write_token: str
) -> None:
    resp = client.generic(
        "POST",
        "/api/v1/imports/preview",
        b"x",
        content_type="multipart/form-data",
        HTTP_AUTHORIZATION=f"Bearer {write_token}",
    )
    assert resp.status_code == 400 and resp["Content-Type"] == PROBLEM
