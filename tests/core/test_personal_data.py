"""A member's own data (issue #19.6) holds what the tables added with #18 keep about them —
console sessions, a pending change of address, SSO links, the second factor, the bin — and
never a secret: no session key or its hash, no link token or its hash, no TOTP secret, no
recovery code or its hash."""

from __future__ import annotations

import json
from typing import Any

import pyotp
import pytest
from django.test import Client

from equipage.accounts.actions.emailchange import email_change_request
from equipage.accounts.data_export import access_member_data, member_data_export
from equipage.accounts.models import ConsoleSession, EmailChange, Member
from equipage.core import clock
from equipage.sso.models import SsoLink
from equipage.twofactor.actions import totp_enrolment_confirm, totp_enrolment_start
from equipage.twofactor.models import RecoveryCode, TotpDevice

pytestmark = pytest.mark.django_db

NEW_EMAIL = "mia.elsewhere@example.test"


def _export(actor: Any, member: Member) -> tuple[dict[str, Any], str]:
    text = "".join(member_data_export(actor=actor, member=access_member_data(actor, member.pk)))
    return json.loads(text), text


@pytest.fixture
def lived_in(org: Any, member: Member, frozen_clock: Any) -> dict[str, Any]:
    """Mia signed in from a browser, asked to move to a new address, was linked to the
    organization's identity provider and enrolled an authenticator; return the secrets."""
    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0")
    browser.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    assert browser.get(f"/o/{org.slug}/me/").status_code == 200
    session_key = browser.session.session_key
    email_change_request(actor=member, member=member, new_email=NEW_EMAIL)
    SsoLink.objects.create(
        organization=org,
        member=member,
        issuer="https://idp.example.test",
        subject="mia-subject-4471",
        created_at=clock.now(),
        last_login_at=clock.now(),
    )
    secret = totp_enrolment_start(actor=member, member=member)
    codes = totp_enrolment_confirm(
        actor=member, member=member, code=pyotp.TOTP(secret).at(clock.now())
    )
    return {
        "secrets": [
            secret,
            str(session_key),
            *codes,
            *ConsoleSession.objects.filter(member=member).values_list("key_hash", flat=True),
            *EmailChange.objects.filter(member=member).values_list("token_hash", flat=True),
            *TotpDevice.objects.filter(member=member).values_list("sealed_secret", flat=True),
            *RecoveryCode.objects.filter(member=member).values_list("code_hash", flat=True),
        ],
        "codes": codes,
    }


def test_the_export_holds_the_sessions_pending_address_sso_links_and_second_factor(
    member: Member, lived_in: dict[str, Any]
) -> None:
    data, _text = _export(member, member)
    [session] = data["console_sessions"]
    assert session["browser"] == "Firefox" and session["system"] == "Linux"
    assert session["ip"] == "127.0.0.1"
    assert data["pending_email_change"]["new_email"] == NEW_EMAIL
    [link] = data["sso_links"]
    assert (link["issuer"], link["subject"]) == ("https://idp.example.test", "mia-subject-4471")
    two_factor = data["two_factor"]
    assert two_factor["enrolled"] is True and two_factor["since"]
    assert two_factor["recovery_codes_left"] == len(lived_in["codes"])
    assert data["profile"]["binned_at"] is None
    for section in ("inactivity_warnings", "invitations"):  # the lifecycle's rows
        assert section in data


def test_the_export_holds_no_secret_of_any_new_table(
    member: Member, admin: Any, lived_in: dict[str, Any]
) -> None:
    for actor in (member, admin):
        _data, text = _export(actor, member)
        leaked = [s for s in lived_in["secrets"] if s and s in text]
        assert leaked == []
        for word in ("key_hash", "token_hash", "sealed_secret", "code_hash", "secret"):
            assert word not in text


def test_a_member_without_any_of_it_gets_empty_sections(admin: Any, member: Member) -> None:
    data, _text = _export(admin, member)
    assert data["console_sessions"] == [] and data["sso_links"] == []
    assert data["pending_email_change"] is None
    assert data["two_factor"] == {"enrolled": False, "since": None, "recovery_codes_left": 0}
