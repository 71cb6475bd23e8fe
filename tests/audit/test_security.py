"""Refused actions and refused tokens: one log line each, audited once per offender and minute."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from equipage.audit import security
from equipage.audit.models import AuditEvent, SecurityTally
from equipage.core.errors import PermissionDenied
from equipage.permissions import Cap, authorize, can

pytestmark = pytest.mark.django_db

DENIED = "security.access_denied"
REJECTED = "security.token_rejected"


def _client(member: Any) -> Client:
    client = Client()
    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    client.cookies["django_language"] = "en"
    return client


def _events(event_type: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type, **filters))


# --- refused actions -------------------------------------------------------------------------


def test_a_refusal_inside_an_action_is_audited_although_the_action_rolls_back(
    org: Any, member: Any
) -> None:
    from equipage.groups.models import Label

    with security.collecting():
        with pytest.raises(PermissionDenied), transaction.atomic():
            Label.objects.create(organization=org, name="written then undone")
            authorize(member, Cap.ORG_SETTINGS, org)
        assert _events(DENIED) == []  # held while the request runs
    assert not Label.objects.filter(name="written then undone").exists()
    (event,) = _events(DENIED, organization=org)
    assert event.actor_id == member.pk
    assert event.after == {
        "capability": "org.settings",
        "reason": "forbidden",
        "message": "You do not have permission to do this.",
        "count": 1,
    }


def test_a_role_grant_refused_in_the_console_leaves_an_audit_event_and_a_log_line(
    org: Any, user_admin: Any, member: Any, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING, "equipage.security")
    response = _client(user_admin).post(f"/o/acme/members/{member.pk}/roles", {"roles": ["admin"]})
    assert response.status_code == 302  # the console shows the error; nothing changed
    from equipage.accounts.models import MemberRole

    assert not MemberRole.objects.filter(member=member, role="admin").exists()
    (event,) = _events(DENIED, organization=org)
    assert event.actor_id == user_admin.pk and event.origin["channel"] == "web"
    assert "You cannot grant the role admin." in event.after["message"]
    assert [r.message for r in caplog.records if r.name == "equipage.security"] == [
        caplog.records[0].message
    ]
    assert caplog.records[0].message.startswith(f"{DENIED} org={org.pk}")


def test_a_page_refused_with_403_is_audited_with_its_path(org: Any, member: Any) -> None:
    assert _client(member).get("/o/acme/settings/").status_code == 403
    (event,) = _events(DENIED, organization=org)
    assert event.actor_id == member.pk
    assert event.after["message"] == "GET /o/acme/settings/"


def test_drawing_buttons_with_can_audits_nothing(org: Any, member: Any) -> None:
    assert not can(member, Cap.ORG_SETTINGS, org)
    assert not can(member, Cap.MEMBER_DEACTIVATE, org)
    assert _events(DENIED) == []


def test_hammering_a_refused_page_writes_one_counted_row_a_minute(
    org: Any, member: Any, frozen_clock: Any
) -> None:
    client = _client(member)
    for _ in range(60):
        assert client.get("/o/acme/settings/").status_code == 403
    (event,) = _events(DENIED, organization=org)
    assert event.after["count"] == 60
    frozen_clock.advance(minutes=1)
    assert client.get("/o/acme/settings/").status_code == 403
    assert [e.after["count"] for e in _events(DENIED, organization=org)] == [1, 60]


def test_a_bulk_action_refused_for_many_members_is_one_counted_event_and_log_line(
    org: Any, user_admin: Any, member: Any, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING, "equipage.security")
    with security.collecting():
        for _ in range(50):
            with pytest.raises(PermissionDenied):
                authorize(user_admin, Cap.ORG_SETTINGS, org)
    (event,) = _events(DENIED, organization=org)
    assert event.after["count"] == 50
    assert sum(r.name == "equipage.security" for r in caplog.records) == 1


def test_another_tenants_object_is_refused_and_audited_in_the_actors_organization_only(
    org: Any, other_org: Any, admin: Any, other_member: Any
) -> None:
    from equipage.core.errors import NotFound

    with pytest.raises(NotFound):
        authorize(admin, Cap.MEMBER_DEACTIVATE, other_member)
    (event,) = _events(DENIED)
    assert event.organization_id == org.pk
    # Nothing of the other tenant is named in the actor's trail.
    assert event.target_label == "(another organization)" and event.target_id == ""
    assert _events(DENIED, organization=other_org) == []


# --- refused tokens --------------------------------------------------------------------------


def _api(raw: str, ip: str = "203.0.113.7", path: str = "/api/v1/members") -> int:
    return Client(REMOTE_ADDR=ip).get(path, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def test_a_flood_of_invalid_tokens_writes_one_counted_row_per_address_and_minute(
    org: Any, frozen_clock: Any, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING, "equipage.security")
    for i in range(300):
        assert _api(f"eqp_guess{i:04d}") == 401
    (event,) = _events(REJECTED)
    assert event.organization_id is None  # unknown token: the operator's trail
    assert event.after["count"] == 300 and event.after["known"] is False
    assert event.origin["ip"] == "203.0.113.7"
    assert sum(r.name == "equipage.security" for r in caplog.records) == 300  # one line each
    frozen_clock.advance(minutes=1)
    assert _api("eqp_guess") == 401
    assert len(_events(REJECTED)) == 2


def test_many_addresses_fold_into_one_row_beyond_the_per_minute_cap(
    org: Any, frozen_clock: Any
) -> None:
    for i in range(security.ADDRESS_ROWS_PER_MINUTE + 20):
        assert _api("eqp_nothing", ip=f"198.51.{i // 250}.{i % 250 + 1}") == 401
    rows = _events(REJECTED)
    assert len(rows) == security.ADDRESS_ROWS_PER_MINUTE + 1
    overflow = [r for r in rows if r.target_label == "(many addresses)"]
    assert len(overflow) == 1 and overflow[0].after["count"] == 20


def test_an_ipv6_client_counts_as_its_slash_64() -> None:
    assert security.address_key("2001:db8:1:2::1") == security.address_key("2001:db8:1:2:ffff::9")
    assert security.address_key("2001:db8:1:2::1") != security.address_key("2001:db8:1:3::1")
    assert security.address_key("not an ip") == "not an ip"


def test_a_revoked_token_is_audited_in_its_own_organization(
    org: Any, admin: Any, frozen_clock: Any
) -> None:
    from equipage.tokens.actions import token_create, token_revoke

    created = token_create(actor=admin, organization=org, name="ci", scopes=["api"])
    token_revoke(actor=admin, token=created.token)
    assert _api(created.raw) == 401
    assert _api(created.raw) == 401
    (event,) = _events(REJECTED, organization=org)
    assert event.actor_label == "token:ci" and event.target_id == str(created.token.pk)
    assert event.after == {
        "scope": "api:read",
        "reason": "unauthenticated",
        "channel": "api",
        "known": True,
        "revoked": True,
        "count": 2,
        "last_at": event.after["last_at"],
    }


def test_a_scim_token_on_the_api_is_refused_for_its_scope_and_audited(org: Any, admin: Any) -> None:
    from equipage.tokens.actions import token_create

    raw = token_create(actor=admin, organization=org, name="okta", scopes=["scim"]).raw
    assert _api(raw) == 403
    (event,) = _events(REJECTED, organization=org)
    assert event.after["reason"] == "insufficient_scope"


def test_a_revoked_scim_token_is_audited_on_the_scim_channel(org: Any, admin: Any) -> None:
    from equipage.tokens.actions import token_create, token_revoke

    created = token_create(actor=admin, organization=org, name="okta", scopes=["scim"])
    token_revoke(actor=admin, token=created.token)
    assert _api(created.raw, path="/scim/v2/Users") == 401
    (event,) = _events(REJECTED, organization=org)
    assert event.after["channel"] == "scim" and event.origin["channel"] == "scim"


def test_another_organizations_revoked_token_is_audited_there_not_here(
    org: Any, other_org: Any, other_admin: Any, admin: Any, frozen_clock: Any
) -> None:
    from equipage.tokens.actions import token_create, token_revoke

    theirs = token_create(actor=other_admin, organization=other_org, name="gx", scopes=["api"])
    token_revoke(actor=other_admin, token=theirs.token)
    assert _api(theirs.raw) == 401
    assert _api(theirs.raw, path="/scim/v2/Users") == 401
    assert _events(REJECTED, organization=org) == []
    (event,) = _events(REJECTED, organization=other_org)  # one offender, one row a minute
    assert event.after["count"] == 2
    # acme's admins, reading their trail through the API, see none of it.
    mine = token_create(actor=admin, organization=org, name="mine", scopes=["api"]).raw
    body = Client().get("/api/v1/audit-events", HTTP_AUTHORIZATION=f"Bearer {mine}").json()
    assert REJECTED not in str(body)


def test_a_request_without_credentials_is_not_an_invalid_token(org: Any) -> None:
    assert Client().get("/api/v1/members").status_code == 401
    assert Client().get("/scim/v2/Users").status_code == 401
    assert _events(REJECTED) == []


def test_tallies_older_than_an_hour_are_deleted_as_new_minutes_open(
    org: Any, frozen_clock: Any
) -> None:
    assert _api("eqp_a") == 401
    frozen_clock.advance(minutes=61)
    assert _api("eqp_b") == 401
    assert SecurityTally.objects.count() == 1
    assert len(_events(REJECTED)) == 2  # the audit rows stay; only the counters go
