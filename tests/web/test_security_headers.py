"""Security headers on every kind of answer: console pages, API and SCIM JSON (issue #13 §8)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def _assert_hardened(response: Any) -> None:
    assert response["Content-Security-Policy"] == STRICT
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_console_pages_carry_a_strict_policy_without_inline_script(
    login_as: Any, admin: Any, member: Any
) -> None:
    client = login_as(admin)
    for url in ("/o/acme/login", "/o/acme/members", "/o/acme/settings/", "/o/acme/groups/"):
        response = (Client() if url.endswith("login") else client).get(url)
        assert response.status_code == 200, url
        _assert_hardened(response)
        body = response.content.decode()
        # The attack: an injected inline handler or script would run. None is needed.
        assert "<script>" not in body and " onclick=" not in body and " onchange=" not in body
        assert "<style" not in body and ' style="' not in body


def test_api_and_scim_json_answers_carry_the_headers_too(org: Any, admin: Any) -> None:
    from equipage.tokens.actions import token_create

    api = token_create(actor=admin, organization=org, name="api", scopes=["api"]).raw
    scim = token_create(actor=admin, organization=org, name="scim", scopes=["scim"]).raw
    client = Client()
    for response in (
        client.get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer {api}"),
        client.get("/api/v1/members", HTTP_AUTHORIZATION="Bearer eqp_wrong"),
        client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {scim}"),
        client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer eqp_wrong"),
    ):
        assert response.status_code in (200, 401)
        _assert_hardened(response)


def test_the_swagger_page_allows_its_cdn_and_the_hash_of_its_one_script_only() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    body = response.content.decode()
    start = body.index("<script>") + len("<script>")
    inline = body[start : body.index("</script>", start)]
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"script-src 'self' https://cdn.jsdelivr.net 'sha256-{digest}';" in policy
    assert "unsafe-inline" not in policy and "object-src 'none'" in policy


def _settings_under(base_url: str, **env: str) -> dict[str, Any]:
    """Import the real settings in a fresh interpreter, as ``equipage serve`` would."""
    code = (
        "import json; from equipage import settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "EQUIPAGE_BASE_URL": base_url, **env},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    seconds, subdomains = json.loads(out.strip().splitlines()[-1])
    return {"seconds": seconds, "subdomains": subdomains}


def test_hsts_for_a_year_only_when_the_public_address_is_https() -> None:
    assert _settings_under("http://127.0.0.1:8000") == {"seconds": 0, "subdomains": False}
    assert _settings_under("https://members.example.org") == {
        "seconds": 365 * 24 * 3600,
        "subdomains": False,
    }
    assert _settings_under("https://m.example.org", EQUIPAGE_HSTS_INCLUDE_SUBDOMAINS="1")[
        "subdomains"
    ]


def test_hsts_header_is_sent_on_secure_requests(settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in Client().get("/")
