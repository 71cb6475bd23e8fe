"""Console and API faces of issue #19: lifecycle settings, membership end dates, the directory's
last-login filter and sort, and a member's own data as JSON with its attacks."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.core import clock
from equipage.groups.models import GroupMembership
from equipage.organizations.lifecycle import lifecycle_policy

pytestmark = pytest.mark.django_db


def _json(response: Any) -> Any:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    return json.loads(b"".join(response.streaming_content))


def test_member_downloads_their_own_data_and_nothing_of_anyone_else(
    org: Any, owner: Any, member: Any, outsider: Any, groups: dict[str, Any], login_as: Any
) -> None:
    from equipage.accounts.actions import member_update

    member_update(actor=owner, member=member, phone="+33 6 12 34 56 78", contact_roles=["Invoice"])
    data = _json(login_as(member).get(f"/o/{org.slug}/me/data.json"))
    assert data["profile"]["login"] == member.login
    assert data["profile"]["phone"] == "+33 6 12 34 56 78"
    assert data["profile"]["contact_roles"] == ["Invoice"]
    assert data["roles"] == ["member"]
    assert [g["group"] for g in data["groups"]] == ["Ventes", "Ventes Nord"]
    assert any(m["kind"] for m in data["mails"]) or data["mails"] == []
    assert any(e["event"] == "member.created" for e in data["audit_events_about_me"])
    for section in ("labels", "custom_fields", "invitations", "logins", "api_tokens"):
        assert section in data
    text = json.dumps(data)
    assert outsider.login not in text and outsider.email not in text
    stored = Member.objects.get(pk=member.pk).password
    assert stored and stored not in text
    assert "password" not in data["profile"] and "token_hash" not in text
    event = AuditEvent.objects.get(event_type="member.data_exported", member_id=member.pk)
    assert event.actor_id == member.pk and event.after == {"by": "self"}


def test_admin_downloads_a_member_data_from_their_profile(
    org: Any, admin: Any, member: Any, login_as: Any
) -> None:
    client = login_as(admin)
    assert (
        f"/members/{member.pk}/data.json"
        in client.get(f"/o/{org.slug}/members/{member.pk}/").content.decode()
    )
    data = _json(client.get(f"/o/{org.slug}/members/{member.pk}/data.json"))
    assert data["profile"]["id"] == member.pk
    event = AuditEvent.objects.get(event_type="member.data_exported", member_id=member.pk)
    assert event.actor_id == admin.pk and event.after == {"by": "administrator"}


def test_a_member_cannot_download_another_member_data(
    org: Any, member: Any, outsider: Any, login_as: Any
) -> None:
    response = login_as(member).get(f"/o/{org.slug}/members/{outsider.pk}/data.json")
    assert response.status_code in (403, 404)
    assert not AuditEvent.objects.filter(event_type="member.data_exported").exists()


def test_a_group_admin_cannot_download_a_member_outside_their_groups(
    org: Any, group_admin: Any, member: Any, outsider: Any, login_as: Any
) -> None:
    client = login_as(group_admin)
    assert client.get(f"/o/{org.slug}/members/{outsider.pk}/data.json").status_code == 404
    assert client.get(f"/o/{org.slug}/members/{member.pk}/data.json").status_code == 200


def test_a_user_admin_cannot_download_an_admin_data(
    org: Any, user_admin: Any, admin: Any, owner: Any, login_as: Any
) -> None:
    client = login_as(user_admin)
    assert client.get(f"/o/{org.slug}/members/{admin.pk}/data.json").status_code == 403
    assert client.get(f"/o/{org.slug}/members/{owner.pk}/data.json").status_code == 403
    profile = client.get(f"/o/{org.slug}/members/{admin.pk}/").content.decode()
    assert f"/members/{admin.pk}/data.json" not in profile
    assert not AuditEvent.objects.filter(event_type="member.data_exported").exists()


def test_another_tenant_member_id_is_not_found(
    org: Any, admin: Any, other_member: Any, login_as: Any
) -> None:
    response = login_as(admin).get(f"/o/{org.slug}/members/{other_member.pk}/data.json")
    assert response.status_code == 404


def test_every_registered_section_is_in_the_file(org: Any, member: Any, login_as: Any) -> None:
    from equipage.core.personal_data import SECTIONS

    data = _json(login_as(member).get(f"/o/{org.slug}/me/data.json"))
    assert set(SECTIONS) <= set(data)
    assert data["truncated"] == []


def test_a_long_section_is_cut_and_said_so(
    org: Any, owner: Any, member: Any, login_as: Any, monkeypatch: Any
) -> None:
    from equipage.accounts.actions import member_update

    for phone in ("+33 1", "+33 2", "+33 3"):
        member_update(actor=owner, member=member, phone=phone)
    monkeypatch.setattr("equipage.core.personal_data.MAX_ROWS", 2)
    data = _json(login_as(member).get(f"/o/{org.slug}/me/data.json"))
    assert len(data["audit_events_about_me"]) == 2
    assert "audit_events_about_me" in data["truncated"]


def test_owner_sets_lifecycle_policies_on_their_own_page(
    org: Any, owner: Any, member: Any, login_as: Any
) -> None:
    client = login_as(owner)
    assert "/settings/lifecycle/" in client.get(f"/o/{org.slug}/settings/").content.decode()
    response = client.post(
        f"/o/{org.slug}/settings/lifecycle/",
        {
            "dormant_enabled": "on",
            "dormant_after_days": "120",
            "dormant_warning_days": "10",
            "reminder_days": "3, 6",
        },
    )
    assert response.status_code == 302
    policy = lifecycle_policy(org)
    assert policy.dormant_enabled and policy.dormant_after_days == 120
    assert not policy.reminders_enabled and policy.reminder_days == [3, 6]
    assert login_as(member).get(f"/o/{org.slug}/settings/lifecycle/").status_code == 403
    bad = client.post(
        f"/o/{org.slug}/settings/lifecycle/",
        {"dormant_after_days": "120", "dormant_warning_days": "10", "reminder_days": "2, x"},
    )
    assert bad.status_code == 400


def test_directory_filters_and_sorts_by_last_login(
    frozen_clock: Any, org: Any, owner: Any, admin: Any, login_as: Any
) -> None:
    from tests.conftest import make_member

    old = make_member(org, owner, "Olga", "Old")
    recent = make_member(org, owner, "Rita", "Recent")
    never = make_member(org, owner, "Nina", "Never")
    Member.objects.filter(pk=old.pk).update(last_login=clock.now() - dt.timedelta(days=1))
    frozen_clock.advance(days=100)
    Member.objects.filter(pk=recent.pk).update(last_login=clock.now())
    Member.objects.filter(pk=admin.pk).update(last_login=clock.now())
    Member.objects.filter(pk=owner.pk).update(last_login=clock.now())
    client = login_as(admin)
    page = client.get(f"/o/{org.slug}/members?idle=90").content.decode()
    assert "Olga" in page and "Nina" in page and "Rita" not in page
    assert "No login for more than" in page
    from equipage.tokens.actions import token_create

    raw = token_create(actor=admin, organization=org, name="t", scopes=["api:read"]).raw
    listed = client.get(
        "/api/v1/members?idle_days=90&limit=500", HTTP_AUTHORIZATION=f"Bearer {raw}"
    ).json()
    logins = {m["login"] for m in listed["items"]}
    assert old.login in logins and never.login in logins and recent.login not in logins
    ordered = client.get(f"/o/{org.slug}/members?sort=last_login&per_page=2").content.decode()
    assert ordered.index("Nina") < ordered.index("Olga")  # never logged in first
    # Keyset pages walk the whole order without losing or repeating anyone.
    from equipage.directory.selectors import DirectoryQuery, directory_page
    from equipage.permissions import Actor

    for sort in ("last_login", "-last_login"):
        seen: list[int] = []
        query = DirectoryQuery(sort=sort, per_page=2)
        while True:
            page_ = directory_page(Actor.for_member(admin), query)
            seen += [m.pk for m in page_.members]
            if not page_.next_cursor:
                break
            query = DirectoryQuery(sort=sort, per_page=2, after=page_.next_cursor)
        assert sorted(seen) == sorted(
            Member.objects.filter(organization=org).values_list("pk", flat=True)
        )
        assert len(seen) == len(set(seen))
    assert never.pk in seen


def test_end_date_through_the_api_and_the_console(
    org: Any, owner: Any, admin: Any, groups: dict[str, Any], outsider: Any, login_as: Any
) -> None:
    from equipage.tokens.actions import token_create

    ends = (clock.today() + dt.timedelta(days=10)).isoformat()
    client = login_as(admin)
    response = client.post(
        f"/o/{org.slug}/members/{outsider.pk}/groups",
        {"group": groups["nord"].pk, "ends_on": ends},
    )
    assert response.status_code == 302
    assert str(GroupMembership.objects.get(group=groups["nord"], member=outsider).ends_on) == ends
    page = client.get(f"/o/{org.slug}/members/{outsider.pk}/").content.decode()
    assert "until" in page
    raw = token_create(actor=admin, organization=org, name="t", scopes=["api:write"]).raw
    api = client.post(
        f"/api/v1/groups/{groups['ventes'].pk}/members",
        {"member_id": outsider.pk, "ends_on": ends},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert api.status_code == 201, api.content
    listed = {m["id"]: m for m in api.json()}
    assert listed[outsider.pk]["ends_on"] == ends
