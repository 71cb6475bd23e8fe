"""The idle session timeout setting: who may change it, its bounds, its audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from equipage.core.errors import PermissionDenied, ValidationFailed
from equipage.organizations.actions import organization_update

pytestmark = pytest.mark.django_db


def test_new_organizations_end_idle_sessions_after_two_hours(org: Any) -> None:
    assert org.session_idle_minutes == 120


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_owner_and_admin_change_the_idle_timeout_with_an_audit_event(
    org: Any, who: str, request: pytest.FixtureRequest
) -> None:
    from equipage.audit.models import AuditEvent

    actor = request.getfixturevalue(who)
    organization_update(actor=actor, organization=org, session_idle_minutes=45)
    org.refresh_from_db()
    assert org.session_idle_minutes == 45
    event = AuditEvent.objects.filter(organization=org, event_type="org.updated").first()
    assert event is not None and event.actor_id == actor.pk
    assert (event.before, event.after) == (
        {"session_idle_minutes": 120},
        {"session_idle_minutes": 45},
    )


@pytest.mark.parametrize("minutes", [0, 29, 721, 100_000, "two hours", None])
def test_an_idle_timeout_outside_thirty_minutes_to_twelve_hours_is_refused(
    org: Any, owner: Any, minutes: Any
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        organization_update(actor=owner, organization=org, session_idle_minutes=minutes)
    assert caught.value.field == "session_idle_minutes"
    org.refresh_from_db()
    assert org.session_idle_minutes == 120


def test_a_member_cannot_lengthen_sessions_and_the_attempt_is_audited(
    org: Any, member: Any
) -> None:
    from equipage.audit.models import AuditEvent

    with pytest.raises(PermissionDenied):
        organization_update(actor=member, organization=org, session_idle_minutes=720)
    org.refresh_from_db()
    assert org.session_idle_minutes == 120
    denied = AuditEvent.objects.get(organization=org, event_type="security.access_denied")
    assert denied.actor_id == member.pk
    assert denied.after["capability"] == "org.settings"


def test_another_tenants_admin_cannot_change_it(org: Any, other_admin: Any) -> None:
    from equipage.core.errors import NotFound

    with pytest.raises(NotFound):
        organization_update(actor=other_admin, organization=org, session_idle_minutes=30)
    org.refresh_from_db()
    assert org.session_idle_minutes == 120


def test_the_settings_page_has_a_sessions_section_that_saves(org: Any, admin: Any) -> None:
    client = Client()
    client.force_login(admin, backend="equipage.accounts.backends.MemberBackend")
    client.cookies["django_language"] = "en"
    page = client.get("/o/acme/settings/").content.decode()
    assert "End a session after this long without activity" in page
    assert '<option value="120" selected>2 hours</option>' in page
    response = client.post("/o/acme/settings/", {"op": "sessions", "session_idle_minutes": "30"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.session_idle_minutes == 30
    refused = client.post("/o/acme/settings/", {"op": "sessions", "session_idle_minutes": "5"})
    assert refused.status_code == 400
    org.refresh_from_db()
    assert org.session_idle_minutes == 30
