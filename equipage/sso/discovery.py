"""Reading an issuer's discovery document and keys, bounded and checked.

The issuer URL an admin types is fetched by the server: only HTTPS, except on
loopback when ``EQUIPAGE_SSO_ALLOW_HTTP_LOOPBACK`` says so (tests, local
trials); answers are read up to 256 KiB with short timeouts.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from equipage.core.errors import ValidationFailed

MAX_BYTES = 256 * 1024
TIMEOUT = (5, 10)  # connect, read
# Asymmetric algorithms only: "none" and HS* (keyed with the client secret) are never accepted.
ACCEPTED_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip


@dataclass(frozen=True)
class Discovery:
    """What Equipage needs from ``.well-known/openid-configuration``."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    signing_algorithms: list[str]


class FetchFailed(Exception):
    """The provider did not answer with a usable JSON document."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> bool:
    """Tell whether the server may fetch ``url``: HTTPS, or HTTP on loopback when allowed."""
    parts = urlsplit(url)
    if not parts.hostname or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return (
        parts.scheme == "http"
        and settings.EQUIPAGE_SSO_ALLOW_HTTP_LOOPBACK
        and _loopback(parts.hostname)
    )


def fetch_json(url: str, *, bearer: str = "") -> Any:
    """GET ``url`` and return its JSON body, read at most MAX_BYTES."""
    if not check_url(url):
        raise FetchFailed(f"refused URL {url!r}")
    try:
        headers = {"Accept": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        with requests.get(
            url, timeout=TIMEOUT, stream=True, allow_redirects=False, headers=headers
        ) as response:
            body = response.raw.read(MAX_BYTES + 1, decode_content=True)
            status = response.status_code
    except requests.RequestException as exc:
        raise FetchFailed(str(exc)) from exc
    if len(body) > MAX_BYTES:
        raise FetchFailed("answer too large")
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise FetchFailed(f"HTTP {status}, not JSON") from exc
    if status >= 400:
        raise FetchFailed(f"HTTP {status}")
    return parsed


def discover(issuer: str) -> Discovery:
    """Fetch and check the issuer's discovery document; raise ValidationFailed saying why not."""
    issuer = issuer.strip().rstrip("/")
    if not check_url(issuer):
        raise ValidationFailed(
            _("The issuer URL must start with https:// (for example https://acme.okta.com)."),
            field="issuer",
        )
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        doc = fetch_json(url)
    except FetchFailed:
        raise ValidationFailed(
            _("The provider's discovery document could not be read at %(url)s.") % {"url": url},
            field="issuer",
        ) from None
    fields = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in fields):
        raise ValidationFailed(
            _("The document at %(url)s is not an OpenID Connect discovery document.")
            % {"url": url},
            field="issuer",
        )
    if doc["issuer"].rstrip("/") != issuer:
        raise ValidationFailed(
            _("The provider calls itself “%(found)s”, not “%(typed)s”: use its exact issuer URL.")
            % {"found": doc["issuer"], "typed": issuer},
            field="issuer",
        )
    endpoints = [doc[k] for k in fields[1:]]
    userinfo = str(doc.get("userinfo_endpoint") or "")
    if not all(check_url(u) for u in [*endpoints, *([userinfo] if userinfo else [])]):
        raise ValidationFailed(
            _("The provider's endpoints must use https://."),
            field="issuer",
        )
    pkce = doc.get("code_challenge_methods_supported")
    if isinstance(pkce, list) and "S256" not in pkce:
        raise ValidationFailed(
            _("The provider does not support PKCE with S256, which Equipage requires."),
            field="issuer",
        )
    offered = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in ACCEPTED_ALGORITHMS if a in offered]
    if not algorithms:
        raise ValidationFailed(
            _("The provider signs ID tokens with no algorithm Equipage accepts (RS256, ES256…)."),
            field="issuer",
        )
    return Discovery(
        issuer=doc["issuer"],
        authorization_endpoint=doc["authorization_endpoint"],
        token_endpoint=doc["token_endpoint"],
        jwks_uri=doc["jwks_uri"],
        userinfo_endpoint=userinfo,
        signing_algorithms=algorithms,
    )
