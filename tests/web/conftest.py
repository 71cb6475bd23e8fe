"""Helpers for console view tests: a logged-in client per named fixture user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def login_as() -> Callable[[Any], Client]:
    """Return a function giving a test client logged in as a member (English console)."""

    def make(member: Any) -> Client:
        client = Client()
        client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
        client.cookies["django_language"] = "en"
        return client

    return make
