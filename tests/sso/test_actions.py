"""Configuring an organization's OpenID provider: discovery checked, secret sealed, audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from equipage.audit.models import AuditEvent
from equipage.core.errors import NotFound, PermissionDenied, ValidationFailed
from equipage.sso.actions import sso_configure, sso_remove
from equipage.sso.models import OidcProvider
from equipage.sso.secrets import decrypt_secret
from tests.live import free_port
from tests.sso.idp import CLIENT_ID, CLIENT_SECRET, Idp


def _configure(actor: Any, org: Any, issuer: str, **kw: Any) -> Any:
    return sso_configure(
        actor=actor,
        organization=org,
        display_name="Okta",
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=kw.pop("client_secret", CLIENT_SECRET),
        **kw,
    )


def test_admin_configures_the_provider_from_its_discovery(
    idp: Idp, org: Any, admin: Any, audit_events: Any
) -> None:
    provider = _configure(admin, org, idp.issuer + "/")
    assert provider.issuer == idp.issuer
    assert provider.authorization_endpoint == f"{idp.issuer}/auth"
    assert provider.jwks_uri == f"{idp.issuer}/jwks"
    assert "RS256" in provider.signing_algorithms
    assert CLIENT_SECRET not in provider.client_secret_encrypted
    assert decrypt_secret(provider.client_secret_encrypted) == CLIENT_SECRET
    event = AuditEvent.objects.get(organization=org, event_type="sso.configured")
    assert event.after["issuer"] == idp.issuer
    assert CLIENT_SECRET not in str(event.after) + str(event.before)


def test_empty_secret_keeps_the_stored_one(idp: Idp, org: Any, owner: Any) -> None:
    first = _configure(owner, org, idp.issuer)
    again = _configure(owner, org, idp.issuer, client_secret="", jit_create=True)
    assert again.client_secret_encrypted == first.client_secret_encrypted
    assert again.jit_create


def test_unreachable_issuer_is_refused_with_a_clear_error(org: Any, owner: Any) -> None:
    with pytest.raises(ValidationFailed, match="discovery document could not be read"):
        _configure(owner, org, f"http://127.0.0.1:{free_port()}")
    assert not OidcProvider.objects.exists()


def test_issuer_that_is_no_openid_provider_is_refused(idp: Idp, org: Any, owner: Any) -> None:
    with pytest.raises(ValidationFailed, match="could not be read"):
        _configure(owner, org, idp.issuer + "/nothing-here")


def test_plain_http_issuer_is_refused_outside_loopback(org: Any, owner: Any) -> None:
    with pytest.raises(ValidationFailed, match="https://"):
        _configure(owner, org, "http://idp.example.com")


def test_member_cannot_configure_single_sign_on(idp: Idp, org: Any, member: Any) -> None:
    with pytest.raises(PermissionDenied):
        _configure(member, org, idp.issuer)


def test_admin_of_another_organization_cannot_configure_ours(
    idp: Idp, org: Any, other_admin: Any
) -> None:
    with pytest.raises(NotFound):
        _configure(other_admin, org, idp.issuer)


def test_removing_the_provider_is_audited(idp: Idp, org: Any, owner: Any) -> None:
    _configure(owner, org, idp.issuer)
    sso_remove(actor=owner, organization=org)
    assert not OidcProvider.objects.exists()
    assert AuditEvent.objects.filter(organization=org, event_type="sso.removed").exists()


def test_settings_page_shows_the_redirect_uri_and_never_the_secret(
    idp: Idp, org: Any, owner: Any
) -> None:
    client = Client()
    client.force_login(owner, backend="equipage.accounts.backends.MemberBackend")
    saved = client.post(
        "/o/acme/settings/sso/",
        {
            "op": "save",
            "display_name": "Okta",
            "issuer": idp.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "enabled": "on",
        },
    )
    assert saved.status_code == 302
    page = client.get("/o/acme/settings/sso/").content.decode()
    assert "http://testserver/o/acme/sso/callback" in page
    assert CLIENT_SECRET not in page
    bad = client.post(
        "/o/acme/settings/sso/",
        {"op": "save", "display_name": "Okta", "issuer": "https://127.0.0.1:1", "client_id": "x"},
    )
    assert bad.status_code == 400
    assert "could not be read" in bad.content.decode()


def test_member_cannot_open_the_settings_page(org: Any, member: Any) -> None:
    client = Client()
    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    assert client.get("/o/acme/settings/sso/").status_code == 403


@pytest.fixture
def hostile_issuer() -> Any:
    """Serve, on loopback, the discovery document each test writes into ``documents``."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    documents: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(documents.get("doc", {})).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    documents["doc"] = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/auth",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
    }
    yield issuer, documents
    server.shutdown()


def test_discovery_naming_another_issuer_is_refused(
    org: Any, owner: Any, hostile_issuer: Any
) -> None:
    issuer, documents = hostile_issuer
    documents["doc"]["issuer"] = "https://someone-else.test"
    with pytest.raises(ValidationFailed, match="use its exact issuer URL"):
        _configure(owner, org, issuer)


def test_provider_without_pkce_s256_is_refused(org: Any, owner: Any, hostile_issuer: Any) -> None:
    issuer, documents = hostile_issuer
    documents["doc"]["code_challenge_methods_supported"] = ["plain"]
    with pytest.raises(ValidationFailed, match="PKCE"):
        _configure(owner, org, issuer)


def test_provider_signing_only_with_none_or_hmac_is_refused(
    org: Any, owner: Any, hostile_issuer: Any
) -> None:
    issuer, documents = hostile_issuer
    documents["doc"]["id_token_signing_alg_values_supported"] = ["none", "HS256"]
    with pytest.raises(ValidationFailed, match="no algorithm Equipage accepts"):
        _configure(owner, org, issuer)


def test_discovery_pointing_endpoints_at_plain_http_elsewhere_is_refused(
    org: Any, owner: Any, hostile_issuer: Any
) -> None:
    issuer, documents = hostile_issuer
    documents["doc"]["token_endpoint"] = "http://attacker.test/token"
    with pytest.raises(ValidationFailed, match="https://"):
        _configure(owner, org, issuer)
