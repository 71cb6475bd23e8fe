"""ID token checks, fed real tokens the loopback provider signed."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from equipage.sso.flow import Refused, verify_id_token
from equipage.sso.models import OidcProvider
from tests.sso.idp import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    TEST_REDIRECT,
    Idp,
    sign_in_at_idp,
)

OTHER_REDIRECT = "http://127.0.0.1/other-app/callback"


def _id_token(idp: Idp, client_id: str, secret: str, redirect: str, nonce: str) -> str:
    """Run the code flow as the client ``client_id`` would; return the ID token issued."""
    verifier = secrets.token_urlsafe(48)
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": "openid email",
            "redirect_uri": redirect,
            "state": "s",
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    back = sign_in_at_idp(f"{idp.issuer}/auth?{query}", "alice-sub", redirect)
    code = parse_qs(urlsplit(back).query)["code"][0]
    token = requests.post(
        f"{idp.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return str(token.json()["id_token"])


@pytest.fixture(scope="module")
def provider(idp: Idp) -> OidcProvider:
    """The provider as Equipage stores it (unsaved: the checks read only its fields)."""
    return OidcProvider(
        issuer=idp.issuer,
        client_id=CLIENT_ID,
        jwks_uri=f"{idp.issuer}/jwks",
        signing_algorithms=["RS256", "PS256", "ES256", "EdDSA"],
    )


@pytest.fixture(scope="module")
def own_token(idp: Idp) -> str:
    return _id_token(idp, CLIENT_ID, CLIENT_SECRET, TEST_REDIRECT, "the-nonce")


def test_genuine_id_token_passes(provider: OidcProvider, own_token: str) -> None:
    claims = verify_id_token(provider, own_token, "the-nonce")
    assert claims["sub"] == "alice-sub"


def test_wrong_nonce_is_refused(provider: OidcProvider, own_token: str) -> None:
    with pytest.raises(Refused, match="id_token_nonce"):
        verify_id_token(provider, own_token, "another-nonce")


def test_id_token_issued_to_another_client_is_refused(idp: Idp, provider: OidcProvider) -> None:
    stolen = _id_token(idp, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, OTHER_REDIRECT, "the-nonce")
    with pytest.raises(Refused, match="id_token_claims"):
        verify_id_token(provider, stolen, "the-nonce")


def test_id_token_from_another_issuer_is_refused(provider: OidcProvider, own_token: str) -> None:
    elsewhere = OidcProvider(
        issuer="https://other-issuer.test",
        client_id=CLIENT_ID,
        jwks_uri=provider.jwks_uri,
        signing_algorithms=provider.signing_algorithms,
    )
    with pytest.raises(Refused, match="id_token_claims"):
        verify_id_token(elsewhere, own_token, "the-nonce")


def test_tampered_id_token_signature_is_refused(provider: OidcProvider, own_token: str) -> None:
    header, payload, signature = own_token.split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    with pytest.raises(Refused, match="id_token_signature"):
        verify_id_token(provider, forged, "the-nonce")


def test_unsigned_id_token_is_refused(provider: OidcProvider, own_token: str) -> None:
    import base64

    _header, payload, _signature = own_token.split(".")
    none = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    with pytest.raises(Refused, match="id_token_signature"):
        verify_id_token(provider, f"{none}.{payload}.", "the-nonce")


def test_expired_id_token_is_refused(
    provider: OidcProvider, own_token: str, monkeypatch: Any
) -> None:
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 24 * 3600)
    with pytest.raises(Refused, match="id_token_claims"):
        verify_id_token(provider, own_token, "the-nonce")
