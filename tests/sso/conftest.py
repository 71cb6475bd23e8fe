from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.sso.idp import CLIENT_ID, CLIENT_SECRET, TEST_REDIRECT, Idp, running_idp, sign_in_at_idp


@pytest.fixture(scope="module")
def idp() -> Iterator[Idp]:
    with running_idp([TEST_REDIRECT]) as running:
        yield running


@pytest.fixture(autouse=True)
def _loopback_issuers(settings: Any) -> None:
    settings.EQUIPAGE_SSO_ALLOW_HTTP_LOOPBACK = True


@pytest.fixture
def sso(idp: Idp, org: Any, owner: Any) -> Any:
    """Acme signs in with the loopback provider (no externalId matching, no JIT)."""
    from equipage.sso.actions import sso_configure

    return sso_configure(
        actor=owner,
        organization=org,
        display_name="Loopback IdP",
        issuer=idp.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def start_sso(client: Client, slug: str = "acme", next_url: str = "") -> str:
    """Click « Sign in with … »; return the provider's authorization URL."""
    response = client.get(f"/o/{slug}/sso/login" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.status_code
    return str(response["Location"])


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def sign_in(sso: Any) -> Callable[..., Any]:
    """Run the whole flow in ``client`` as the provider's ``subject``; return the callback."""

    def run(client: Client, subject: str) -> Any:
        back = sign_in_at_idp(start_sso(client), subject, TEST_REDIRECT)
        return client.get(callback_path(back))

    return run
