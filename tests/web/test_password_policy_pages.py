"""The password policy in the console (#18.7): its settings section, and the rule said and
enforced where a password is chosen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from equipage.accounts.actions import member_send_password_link
from equipage.accounts.models import Member
from equipage.emails.models import OutboundEmail
from equipage.organizations.models import Organization
from tests.tasks import clear_cache


@pytest.fixture(autouse=True)
def _fresh_counters(db: Any) -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def test_admin_changes_the_minimum_length_in_its_own_settings_section(
    login_as: Any, admin: Any
) -> None:
    client = login_as(admin)
    assert "Password policy" in client.get("/o/acme/settings/").content.decode()
    r = client.post("/o/acme/settings/", {"op": "password_policy", "password_min_length": "14"})
    assert r.status_code == 302
    assert Organization.objects.get(slug="acme").password_min_length == 14


def test_the_settings_refuse_a_minimum_below_eight(login_as: Any, admin: Any) -> None:
    r = login_as(admin).post(
        "/o/acme/settings/", {"op": "password_policy", "password_min_length": "6"}
    )
    assert r.status_code == 400
    assert Organization.objects.get(slug="acme").password_min_length == 12


def test_a_user_admin_cannot_post_the_password_policy(login_as: Any, user_admin: Any) -> None:
    r = login_as(user_admin).post(
        "/o/acme/settings/", {"op": "password_policy", "password_min_length": "8"}
    )
    assert r.status_code == 403
    assert Organization.objects.get(slug="acme").password_min_length == 12


def test_the_set_password_page_says_the_rule_and_refuses_eleven_characters(
    admin: Any, member: Any
) -> None:
    member_send_password_link(actor=admin, member=member)
    body = OutboundEmail.objects.filter(member=member, kind="set_password").latest("id").body_text
    path = "/o/acme/password/set/" + body.split("/password/set/")[1].split("/")[0] + "/"
    client = Client()
    assert "At least 12 characters" in client.get(path).content.decode()
    r = client.post(path, {"new_password1": "Elevenchars", "new_password2": "Elevenchars"})
    assert "at least 12 characters" in r.content.decode()
    r = client.post(path, {"new_password1": "qwerty123456", "new_password2": "qwerty123456"})
    assert "too common" in r.content.decode()
    assert not Member.objects.get(pk=member.pk).check_password("Elevenchars")
    # A refused try does not use the link up.
    ok = {"new_password1": "Twelve-chars", "new_password2": "Twelve-chars"}
    assert client.post(path, ok).status_code == 302
