"""« Supprimer l'organisation » on the settings page: the owner only, confirmed by the slug."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.organizations.models import Organization

pytestmark = pytest.mark.django_db

SETTINGS = "/o/acme/settings/"


def test_owner_sees_the_danger_zone_with_what_will_be_deleted(
    login_as: Any, owner: Any, member: Any, outsider: Any
) -> None:
    body = login_as(owner).get(SETTINGS).content.decode()
    assert "Danger zone: delete the organization" in body
    assert "member accounts: 3 " in body  # owner, member, outsider
    assert "groups: 3," in body  # Ventes, Ventes Nord, Atelier
    assert "This cannot be undone." in body
    assert "<code>acme</code>" in body and 'name="confirm"' in body


def test_admins_do_not_see_the_form(login_as: Any, admin: Any) -> None:
    body = login_as(admin).get(SETTINGS).content.decode()
    assert "Settings" in body
    assert "Danger zone" not in body and 'value="delete"' not in body


def test_owner_deletes_the_organization_and_lands_on_the_home_page(
    login_as: Any, owner: Any, member: Any, other_org: Any
) -> None:
    client = login_as(owner)
    response = client.post(SETTINGS, {"op": "delete", "confirm": "acme"})
    assert response.status_code == 302 and response.url == "/"
    assert not Organization.objects.filter(slug="acme").exists()
    assert not Member.objects.filter(pk__in=[owner.pk, member.pk]).exists()
    assert Organization.objects.filter(pk=other_org.pk).exists()
    event = AuditEvent.objects.get(event_type="org.deleted")
    assert event.organization_slug == "acme" and event.origin["channel"] == "web"
    home = client.get("/").content.decode()
    assert "The organization “Acme” and everything in it have been deleted." in home
    # The session ended with the account: the old console is gone for this browser.
    assert client.get(SETTINGS).status_code == 404


def test_a_member_still_logged_in_loses_the_console(login_as: Any, owner: Any, member: Any) -> None:
    theirs = login_as(member)
    assert theirs.get("/o/acme/").status_code == 200
    login_as(owner).post(SETTINGS, {"op": "delete", "confirm": "acme"})
    assert theirs.get("/o/acme/").status_code == 404


@pytest.mark.parametrize("typed", ["", "Acme", "globex"])
def test_wrong_confirmation_shows_an_error_beside_the_field_and_deletes_nothing(
    login_as: Any, owner: Any, other_org: Any, typed: str
) -> None:
    response = login_as(owner).post(SETTINGS, {"op": "delete", "confirm": typed})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="field has-error"' in body
    assert Organization.objects.filter(slug="acme").exists()
    assert Organization.objects.filter(pk=other_org.pk).exists()


@pytest.mark.parametrize("who", ["admin", "user_admin", "member"])
def test_a_post_by_anyone_but_the_owner_is_forbidden(
    login_as: Any, who: str, request: pytest.FixtureRequest
) -> None:
    client = login_as(request.getfixturevalue(who))
    assert client.post(SETTINGS, {"op": "delete", "confirm": "acme"}).status_code == 403
    assert Organization.objects.filter(slug="acme").exists()
    assert not AuditEvent.objects.filter(event_type="org.deleted").exists()


def test_owner_of_another_organization_cannot_delete_this_one(
    login_as: Any, other_owner: Any, org: Any
) -> None:
    response = login_as(other_owner).post(SETTINGS, {"op": "delete", "confirm": "acme"})
    assert response.status_code == 302 and response.url.startswith("/o/acme/login")
    assert Organization.objects.filter(pk=org.pk).exists()


def test_unknown_organization_in_the_url_is_404(login_as: Any, owner: Any) -> None:
    response = login_as(owner).post("/o/nowhere/settings/", {"op": "delete", "confirm": "nowhere"})
    assert response.status_code == 404


def test_the_danger_zone_speaks_french(owner: Any, org: Any, operator: Any) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(actor=operator, organization=org, language="fr")
    client = Client()
    client.force_login(owner, backend="equipage.accounts.backends.MemberBackend")
    body = client.get(SETTINGS).content.decode()
    assert "Zone de danger : supprimer l’organisation" in body
    assert "Cette suppression est irréversible." in body
    assert "Supprimer l’organisation</button>" in body
    response = client.post(SETTINGS, {"op": "delete", "confirm": "ACME"})
    assert "Saisissez l’identifiant de l’organisation « acme »" in response.content.decode()
    response = client.post(SETTINGS, {"op": "delete", "confirm": "acme"}, follow=True)
    assert "L’organisation « Acme » et tout ce qu’elle contenait ont été supprimés." in (
        response.content.decode()
    )
