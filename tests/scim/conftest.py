"""A SCIM token for acme (and one for globex) and a scim2 client over Django's WSGI app."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def scim_token(org: Any, owner: Any) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=owner, organization=org, name="idp", scopes=["scim"]).raw


@pytest.fixture
def other_scim_token(other_org: Any, other_owner: Any) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=other_owner, organization=other_org, name="idp", scopes=["scim"]).raw


@pytest.fixture
def scim_client(scim_token: str) -> Any:
    from django.core.wsgi import get_wsgi_application
    from scim2_client.engines.wsgi import WSGISCIMClient

    return WSGISCIMClient(
        get_wsgi_application(),
        base_url="http://testserver/scim/v2",
        headers={"Authorization": f"Bearer {scim_token}"},
    )
