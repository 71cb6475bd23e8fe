"""Enrolling the named fixture users for real: codes computed by pyotp from the secret."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from django.test import Client

from equipage.core import clock
from tests.web.conftest import login_as as login_as  # the console's logged-in clients


@dataclass
class Enrolled:
    """A member with a confirmed authenticator: its secret and their recovery codes."""

    member: Any
    secret: str
    recovery_codes: list[str]

    def code(self, steps_ahead: int = 0) -> str:
        """Return the app's code at the application clock, ``steps_ahead`` steps later."""
        moment = int(clock.now().timestamp()) + 30 * steps_ahead
        return pyotp.TOTP(self.secret).at(moment)


@pytest.fixture
def enrol(frozen_clock: Any) -> Callable[[Any], Enrolled]:
    """Return a function enrolling a member through the actions, as their app would."""
    from equipage.twofactor.actions import totp_enrolment_confirm, totp_enrolment_start

    def make(member: Any) -> Enrolled:
        secret = totp_enrolment_start(actor=member, member=member)
        codes = totp_enrolment_confirm(
            actor=member, member=member, code=pyotp.TOTP(secret).at(clock.now())
        )
        frozen_clock.advance(seconds=30)  # the next code is a new one
        return Enrolled(member, secret, codes)

    return make


@pytest.fixture
def password_login() -> Callable[[Any, str], tuple[Client, Any]]:
    """Return a function posting a member's password to their login page (English)."""

    def post(member: Any, password: str = "member-pass-123") -> tuple[Client, Any]:
        client = Client()
        client.cookies["django_language"] = "en"
        response = client.post(
            f"/o/{member.organization.slug}/login",
            {"identifier": member.login, "password": password},
        )
        return client, response

    return post
