"""Labels editable on the member's profile: add and remove, by those allowed, in one tenant."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def label(org: Any, owner: Any) -> Any:
    from equipage.groups.actions import label_create

    return label_create(actor=owner, organization=org, name="Bénévole")


def _labels(member: Any) -> list[str]:
    from equipage.groups.models import MemberLabel

    return list(MemberLabel.objects.filter(member=member).values_list("label__name", flat=True))


def test_an_admin_adds_then_removes_a_label_from_the_profile(
    login_as: Any, admin: Any, member: Any, label: Any
) -> None:
    from equipage.audit.models import AuditEvent

    client = login_as(admin)
    url = f"/o/acme/members/{member.pk}/labels"
    page = client.get(f"/o/acme/members/{member.pk}/").content.decode()
    assert 'id="add-label"' in page and "Bénévole" in page
    response = client.post(url, {"op": "add", "label": label.pk}, follow=True)
    assert _labels(member) == ["Bénévole"]
    assert "Label “Bénévole” added." in response.content.decode()
    assert "Remove the label Bénévole" in response.content.decode()
    client.post(url, {"op": "remove", "label": label.pk})
    assert _labels(member) == []
    kinds = list(AuditEvent.objects.filter(member=member).values_list("event_type", flat=True))
    assert "label.attached" in kinds and "label.detached" in kinds


def test_a_user_admin_may_label_a_member(
    login_as: Any, user_admin: Any, member: Any, label: Any
) -> None:
    login_as(user_admin).post(f"/o/acme/members/{member.pk}/labels", {"label": label.pk})
    assert _labels(member) == ["Bénévole"]


def test_a_plain_member_cannot_label_anyone_nor_sees_the_form(
    login_as: Any, member: Any, outsider: Any, label: Any
) -> None:
    client = login_as(member)
    response = client.post(f"/o/acme/members/{outsider.pk}/labels", {"label": label.pk})
    assert response.status_code in (403, 404)
    assert _labels(outsider) == []
    page = client.get(f"/o/acme/members/{member.pk}/")
    assert 'id="add-label"' not in page.content.decode()


def test_a_user_admin_cannot_label_an_admin_who_outranks_them(
    login_as: Any, user_admin: Any, admin: Any, label: Any
) -> None:
    response = login_as(user_admin).post(f"/o/acme/members/{admin.pk}/labels", {"label": label.pk})
    assert response.status_code in (403, 404)
    assert _labels(admin) == []


def test_another_organizations_label_is_refused(
    login_as: Any, admin: Any, member: Any, other_org: Any, other_owner: Any
) -> None:
    from equipage.groups.actions import label_create

    foreign = label_create(actor=other_owner, organization=other_org, name="Étranger")
    response = login_as(admin).post(
        f"/o/acme/members/{member.pk}/labels", {"label": foreign.pk}, follow=True
    )
    assert _labels(member) == []
    assert "Choose a label." in response.content.decode()


def test_an_admin_of_another_organization_cannot_label_our_member(
    login_as: Any, other_admin: Any, member: Any, label: Any
) -> None:
    client = login_as(other_admin)
    # Their own console, our member's id: not found.
    response = client.post(f"/o/globex/members/{member.pk}/labels", {"label": label.pk})
    assert response.status_code == 404
    # Our console: their session is not valid here, so they are sent to log in.
    response = client.post(f"/o/acme/members/{member.pk}/labels", {"label": label.pk})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert _labels(member) == []
