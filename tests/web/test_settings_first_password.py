"""The settings page's first-password part: explains both policies, proposes, refuses, saves."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.hashers import check_password

from equipage.organizations.first_password import validate_temporary_password


def proposed(body: str) -> str:
    found = re.search(r'name="temporary_password" value="([^"]+)"', body)
    assert found, "the page proposes no temporary password"
    return found.group(1)


def test_settings_page_explains_the_policies_and_proposes_a_random_password(
    login_as: Any, admin: Any, org: Any
) -> None:
    client = login_as(admin)
    first, second = (client.get("/o/acme/settings/").content.decode() for _ in range(2))
    assert "First password of new accounts" in first and "within 14 days" in first
    assert re.search(r'value="link"[^>]*checked', first), "link is not the policy shown"
    assert proposed(first) != proposed(second)
    validate_temporary_password(proposed(first), org)


def test_choosing_the_shared_policy_with_the_proposed_password_saves_it_hashed(
    login_as: Any, admin: Any, org: Any
) -> None:
    client = login_as(admin)
    password = proposed(client.get("/o/acme/settings/").content.decode())
    r = client.post(
        "/o/acme/settings/",
        {"op": "first_password", "first_password_policy": "shared", "temporary_password": password},
    )
    assert r.status_code == 302
    org.refresh_from_db()
    assert org.first_password_policy == "shared"
    assert check_password(password, org.temp_password_hash)
    # Never shown again: the page no longer fills the field, it only suggests a new one.
    body = client.get("/o/acme/settings/").content.decode()
    assert password not in body and "A temporary password is set" in body


def test_public_tempeos_is_refused_with_a_clear_message_beside_the_field(
    login_as: Any, admin: Any, org: Any
) -> None:
    r = login_as(admin).post(
        "/o/acme/settings/",
        {
            "op": "first_password",
            "first_password_policy": "shared",
            "temporary_password": "tempeos",
        },
    )
    assert r.status_code == 400
    body = r.content.decode()
    assert "published in public help pages" in body and 'class="field has-error"' in body
    org.refresh_from_db()
    assert org.first_password_policy == "link" and org.temp_password_hash == ""


def test_french_settings_page_explains_the_policy_in_french(
    login_as: Any, admin: Any, org: Any
) -> None:
    client = login_as(admin)
    client.cookies["django_language"] = "fr"
    body = client.get("/o/acme/settings/").content.decode()
    assert "Premier mot de passe des nouveaux comptes" in body


def test_member_cannot_reach_the_settings_page(login_as: Any, member: Any) -> None:
    r = login_as(member).post(
        "/o/acme/settings/",
        {"op": "first_password", "first_password_policy": "shared", "temporary_password": "x"},
    )
    assert r.status_code == 403
