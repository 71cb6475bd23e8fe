"""API tokens for acme (read, write) and globex."""

from __future__ import annotations

from typing import Any

import pytest


def _token(org: Any, creator: Any, scopes: list[str]) -> str:
    from equipage.tokens.actions import token_create

    return token_create(actor=creator, organization=org, name="t", scopes=scopes).raw


@pytest.fixture
def write_token(org: Any, owner: Any) -> str:
    return _token(org, owner, ["api"])


@pytest.fixture
def read_token(org: Any, owner: Any) -> str:
    return _token(org, owner, ["api:read"])


@pytest.fixture
def other_token(other_org: Any, other_owner: Any) -> str:
    return _token(other_org, other_owner, ["api"])
