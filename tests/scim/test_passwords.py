"""IdP passwords: ignored unless the organization accepts them (SPEC §9), whatever the IdP sends.

The attack: Okta sends the same kind of placeholder on every create ("the value
isn't relevant"); had it become the login password, anyone who knew Okta's
placeholder, or read the provisioning log, could open the account.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.scim.replays import PATCH_OP
from tests.scim.replays.okta import CREATE_USER, PLACEHOLDER_PASSWORD


def _post(client: Client, token: str, method: str, path: str, body: Any) -> Any:
    return getattr(client, method)(
        f"/scim/v2{path}",
        data=json.dumps(body),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def _logs_in(login: str, password: str) -> bool:
    reply = Client().post("/o/acme/login", {"identifier": login, "password": password})
    return reply.status_code == 302


@pytest.mark.parametrize("policy", ["shared", "link"])
def test_okta_placeholder_password_never_logs_in_and_the_policy_decides(
    client: Client, scim_token: str, org: Any, operator: Any, policy: str
) -> None:
    from equipage.accounts.actions import member_create
    from equipage.accounts.models import Member
    from equipage.organizations.actions import organization_update

    organization_update(
        actor=operator,
        organization=org,
        first_password_policy=policy,
        **({"temporary_password": "kq7m-x3fa-9wpt"} if policy == "shared" else {}),
    )
    created = _post(client, scim_token, "post", "/Users", CREATE_USER)
    assert created.status_code == 201, created.content
    member = Member.objects.get(pk=created.json()["id"])
    assert not member.has_usable_password()
    assert not member.check_password(PLACEHOLDER_PASSWORD)
    assert not _logs_in("test.user@okta.local", PLACEHOLDER_PASSWORD)
    # Exactly what an account created without a password gets under this policy.
    twin = member_create(
        actor=operator, organization=org, first_name="T", last_name="W", email="twin@acme.test"
    )
    assert (member.uses_temp_password, member.must_change_password) == (
        twin.uses_temp_password,
        twin.must_change_password,
    )
    from equipage.emails.models import OutboundEmail

    links = OutboundEmail.objects.filter(member=member, kind="set_password").count()
    assert links == (1 if policy == "link" else 0)


def test_okta_password_sync_is_ignored_by_default(
    client: Client, scim_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    from equipage.accounts.models import Member

    uid = _post(client, scim_token, "post", "/Users", CREATE_USER).json()["id"]
    sync = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"password": "Chosen-Pa55!"}}],
    }
    with caplog.at_level("INFO", logger="equipage.scim"):
        assert _post(client, scim_token, "patch", f"/Users/{uid}", sync).status_code in (200, 204)
    assert not Member.objects.get(pk=uid).has_usable_password()
    assert not _logs_in("test.user@okta.local", "Chosen-Pa55!")
    assert "ignored" in caplog.text and "Chosen-Pa55!" not in caplog.text


def test_idp_passwords_log_in_once_the_organization_accepts_them(
    client: Client, scim_token: str, org: Any, owner: Any, audit_events: Any
) -> None:
    from equipage.accounts.models import Member
    from equipage.organizations.actions import (
        organization_set_scim_accept_passwords,
        organization_update,
    )

    organization_set_scim_accept_passwords(actor=owner, organization=org, accept=True)
    assert "org.updated" in audit_events()
    # Okta's placeholder has 8 characters: accepted only where the policy allows 8 (#18.7).
    organization_update(actor=owner, organization=org, password_min_length=8)
    uid = _post(client, scim_token, "post", "/Users", CREATE_USER).json()["id"]
    member = Member.objects.get(pk=uid)
    assert member.check_password(PLACEHOLDER_PASSWORD) and not member.must_change_password
    sync = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"password": "Synced-Pa55!"}}],
    }
    assert _post(client, scim_token, "patch", f"/Users/{uid}", sync).status_code in (200, 204)
    assert _logs_in("test.user@okta.local", "Synced-Pa55!")


def test_an_accepted_idp_password_still_follows_the_organizations_policy(
    client: Client, scim_token: str, org: Any, owner: Any
) -> None:
    from equipage.accounts.models import Member
    from equipage.organizations.actions import organization_set_scim_accept_passwords

    organization_set_scim_accept_passwords(actor=owner, organization=org, accept=True)
    # Okta's 8-character placeholder on create: refused where 12 are asked, no account made.
    refused = _post(client, scim_token, "post", "/Users", CREATE_USER)
    assert refused.status_code == 400 and "at least 12 characters" in refused.json()["detail"]
    assert not Member.objects.filter(organization=org, email="test.user@okta.local").exists()
    plain = {k: v for k, v in CREATE_USER.items() if k != "password"}
    uid = _post(client, scim_token, "post", "/Users", plain).json()["id"]
    for weak in ("Elevenchars", "qwerty123456"):
        sync = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "value": {"password": weak}}],
        }
        refused = _post(client, scim_token, "patch", f"/Users/{uid}", sync)
        assert refused.status_code == 400, refused.content
        assert not Member.objects.get(pk=uid).check_password(weak)
