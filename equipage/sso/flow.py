"""The authorization code flow with PKCE (S256), state and nonce, through authlib.

``begin`` keeps what the callback must check — state, nonce, PKCE verifier —
in the session, which lives in the database: the callback may reach any node.
``finish`` takes it back out (once: a replayed answer finds nothing), trades
the code for tokens and checks the ID token's signature against the
provider's keys, its issuer, audience, expiry and nonce.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from authlib.integrations.requests_client import OAuth2Session
from django.contrib.sessions.backends.base import SessionBase
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from equipage.sso.discovery import TIMEOUT, FetchFailed, check_url, fetch_json
from equipage.sso.models import OidcProvider

PENDING = "equipage.sso.pending"  # state → what its callback checks
PENDING_SECONDS = 600
PENDING_MAX = 5  # logins started in other tabs, kept at most
SCOPE = "openid email profile"
LEEWAY_SECONDS = 60


class Refused(Exception):
    """The provider's answer is not accepted; ``reason`` is a short code for the audit log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who the provider says logged in, from a checked ID token (and userinfo claims in it)."""

    issuer: str
    subject: str
    object_id: str  # Entra ID's "oid": the object id its SCIM can send as externalId
    email: str
    email_verified: bool
    given_name: str
    family_name: str
    next_url: str


def _client(provider: OidcProvider, secret: str, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def begin(
    session: SessionBase, provider: OidcProvider, secret: str, redirect_uri: str, next_url: str
) -> str:
    """Return the provider's authorization URL; remember its state, nonce and verifier."""
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    url, _state = _client(provider, secret, redirect_uri).create_authorization_url(
        provider.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
    )
    now = int(time.time())
    pending = {
        k: v
        for k, v in dict(session.get(PENDING) or {}).items()
        if now - int(v.get("at", 0)) < PENDING_SECONDS
    }
    pending[state] = {
        "nonce": nonce,
        "verifier": verifier,
        "provider": provider.pk,
        "next": next_url,
        "at": now,
    }
    session[PENDING] = dict(sorted(pending.items(), key=lambda kv: kv[1]["at"])[-PENDING_MAX:])
    return str(url)


def _take_pending(session: SessionBase, state: str) -> dict[str, Any]:
    pending = dict(session.get(PENDING) or {})
    entry = pending.pop(state, None) if state else None
    session[PENDING] = pending
    if entry is None:
        raise Refused("state_unknown")
    if int(time.time()) - int(entry.get("at", 0)) >= PENDING_SECONDS:
        raise Refused("state_expired")
    return dict(entry)


def finish(
    session: SessionBase,
    provider: OidcProvider,
    secret: str,
    redirect_uri: str,
    params: dict[str, str],
) -> Identity:
    """Check the provider's answer (the callback's query) and return who logged in."""
    entry = _take_pending(session, params.get("state", ""))
    if entry["provider"] != provider.pk:
        raise Refused("state_other_provider")
    # RFC 9207: a provider that names itself in its answer must name the one we asked (mix-up).
    if "iss" in params and params["iss"] != provider.issuer:
        raise Refused("response_issuer")
    if params.get("error"):
        raise Refused(f"provider_error:{params['error'][:60]}")
    code = params.get("code", "")
    if not code:
        raise Refused("no_code")
    if not check_url(provider.token_endpoint):
        raise Refused("token_endpoint_refused")
    try:
        token = _client(provider, secret, redirect_uri).fetch_token(
            provider.token_endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=entry["verifier"],
            timeout=TIMEOUT,
        )
    except Exception as exc:  # authlib raises OAuthError, requests its own: both mean no
        raise Refused(f"token_exchange:{type(exc).__name__}") from None
    raw = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(raw, str):
        raise Refused("no_id_token")
    claims = verify_id_token(provider, raw, entry["nonce"])
    if "email" not in claims and provider.userinfo_endpoint:
        claims = {**_userinfo(provider, str(token.get("access_token") or ""), claims), **claims}
    return Identity(
        issuer=provider.issuer,
        subject=str(claims["sub"]),
        object_id=str(claims.get("oid") or ""),
        email=str(claims.get("email") or "").strip(),
        email_verified=claims.get("email_verified") is True,
        given_name=str(claims.get("given_name") or "").strip(),
        family_name=str(claims.get("family_name") or "").strip(),
        next_url=str(entry.get("next") or ""),
    )


def _userinfo(provider: OidcProvider, access_token: str, claims: dict[str, Any]) -> dict[str, Any]:
    """Return the userinfo claims (thin ID tokens, as Okta's, carry no e-mail), same subject only."""
    if not access_token:
        return {}
    try:
        info = fetch_json(provider.userinfo_endpoint, bearer=access_token)
    except FetchFailed:
        raise Refused("userinfo_unreadable") from None
    if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
        raise Refused("userinfo_subject")
    return info


def verify_id_token(provider: OidcProvider, raw: str, nonce: str) -> dict[str, Any]:
    """Return the ID token's claims once its signature, iss, aud, azp, exp and nonce hold."""
    try:
        keys = KeySet.import_key_set(fetch_json(provider.jwks_uri))
    except (FetchFailed, JoseError, ValueError, TypeError, KeyError):
        raise Refused("jwks_unreadable") from None
    try:
        token = jwt.decode(raw, keys, algorithms=list(provider.signing_algorithms))
    except (JoseError, ValueError):
        raise Refused("id_token_signature") from None
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise Refused(f"id_token_claims:{exc.error}") from None
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
        raise Refused("id_token_claims:azp")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise Refused("id_token_nonce")
    return claims
