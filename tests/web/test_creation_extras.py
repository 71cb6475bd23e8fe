"""Custom fields and the auto-deletion date in « Ajouter un membre » and « Inviter » (seed 002)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

FORM = {
    "first_name": "Élodie",
    "last_name": "Martin",
    "email": "elodie@acme.test",
    "roles": ["member"],
    "send": "policy",
}


@pytest.fixture
def fields(org: Any, owner: Any) -> dict[str, Any]:
    from equipage.accounts.actions import custom_field_create

    return {
        "badge": custom_field_create(actor=owner, organization=org, name="Badge", kind="number"),
        "site": custom_field_create(
            actor=owner, organization=org, name="Site", kind="choice", choices=["Lyon", "Brest"]
        ),
    }


def _later(days: int = 30) -> dt.date:
    from equipage.core import clock

    return clock.today() + dt.timedelta(days=days)


def _values(member: Any) -> dict[str, str]:
    from equipage.accounts.models import CustomFieldValue

    rows = CustomFieldValue.objects.filter(member=member).select_related("field")
    return {v.field.key: v.value for v in rows}


def test_both_forms_offer_the_custom_fields_and_the_deletion_date_without_errors(
    login_as: Any, admin: Any, fields: dict[str, Any]
) -> None:
    client = login_as(admin)
    for url in ("/o/acme/members/new", "/o/acme/invitations/new"):
        page = client.get(url).content.decode()
        assert f'name="cf_{fields["badge"].pk}"' in page, url
        assert '<option value="Brest">Brest</option>' in page, url
        assert 'name="auto_delete_on"' in page and 'type="date"' in page, url
        assert "Automatic deletion date" in page, url
        assert 'class="error"' not in page, url


def test_adding_a_member_stores_the_custom_values_and_the_deletion_date_with_audit(
    login_as: Any, admin: Any, org: Any, fields: dict[str, Any]
) -> None:
    from equipage.accounts.models import Member
    from equipage.audit.models import AuditEvent

    when = _later()
    response = login_as(admin).post(
        "/o/acme/members/new",
        {
            **FORM,
            f"cf_{fields['badge'].pk}": "42,5",
            f"cf_{fields['site'].pk}": "Brest",
            "auto_delete_on": when.isoformat(),
        },
    )
    assert response.status_code == 302
    created = Member.objects.get(organization=org, last_name="Martin")
    assert created.auto_delete_on == when
    assert _values(created) == {"badge": "42.5", "site": "Brest"}
    events = set(AuditEvent.objects.filter(member=created).values_list("event_type", flat=True))
    assert {"member.created", "member.updated", "member.custom_fields_changed"} <= events


def test_inviting_gives_every_new_invitee_the_custom_values_and_the_deletion_date(
    login_as: Any, admin: Any, org: Any, fields: dict[str, Any]
) -> None:
    from equipage.accounts.models import Member

    when = _later(60)
    response = login_as(admin).post(
        "/o/acme/invitations/new",
        {
            "emails": "a@acme.test, b@acme.test",
            "roles": ["member"],
            f"cf_{fields['site'].pk}": "Lyon",
            "auto_delete_on": when.isoformat(),
        },
    )
    assert response.status_code == 200
    invited = Member.objects.filter(organization=org, email__in=["a@acme.test", "b@acme.test"])
    assert invited.count() == 2
    for member in invited:
        assert member.auto_delete_on == when
        assert _values(member) == {"site": "Lyon"}


def test_a_wrong_custom_value_is_shown_beside_its_field_and_nothing_is_created(
    login_as: Any, admin: Any, org: Any, fields: dict[str, Any]
) -> None:
    from equipage.accounts.models import Member

    response = login_as(admin).post(
        "/o/acme/members/new", {**FORM, f"cf_{fields['badge'].pk}": "douze"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    badge_at = page.index(f'name="cf_{fields["badge"].pk}"')
    error_at = page.index("is not a number")
    assert badge_at < error_at < page.index('name="auto_delete_on"')
    assert not Member.objects.filter(organization=org, last_name="Martin").exists()


@pytest.mark.parametrize("url", ["/o/acme/members/new", "/o/acme/invitations/new"])
def test_a_deletion_date_of_today_or_before_is_refused_beside_the_field(
    login_as: Any, admin: Any, org: Any, url: str
) -> None:
    from equipage.accounts.models import Member
    from equipage.core import clock

    data = {**FORM, "emails": "late@acme.test", "auto_delete_on": clock.today().isoformat()}
    response = login_as(admin).post(url, data)
    page = response.content.decode()
    assert "must be after today" in page
    assert page.index('name="auto_delete_on"') < page.index("must be after today")
    assert not Member.objects.filter(organization=org, last_name="Martin").exists()
    assert not Member.objects.filter(organization=org, email="late@acme.test").exists()


def test_a_custom_field_of_another_organization_is_refused_by_both_actions(
    org: Any, admin: Any, other_org: Any, other_owner: Any
) -> None:
    """The attack: a forged field id from another tenant must not write into it."""
    from equipage.accounts.actions import custom_field_create, member_create
    from equipage.accounts.models import CustomFieldValue, Member
    from equipage.core.errors import ValidationFailed
    from equipage.invitations.actions import invitations_create

    theirs = custom_field_create(actor=other_owner, organization=other_org, name="Secret")
    with pytest.raises(ValidationFailed):
        member_create(
            actor=admin,
            organization=org,
            first_name="Eve",
            last_name="Forge",
            custom_values={theirs.pk: "x"},
        )
    with pytest.raises(ValidationFailed):
        invitations_create(
            actor=admin, organization=org, emails="eve@acme.test", custom_values={theirs.pk: "x"}
        )
    assert not Member.objects.filter(organization=org, last_name="Forge").exists()
    assert not Member.objects.filter(email="eve@acme.test").exists()
    assert not CustomFieldValue.objects.filter(field=theirs).exists()


def test_a_group_admin_sets_them_on_a_member_created_in_their_group(
    org: Any, group_admin: Any, groups: dict[str, Any], fields: dict[str, Any]
) -> None:
    from equipage.accounts.actions import member_create

    created = member_create(
        actor=group_admin,
        organization=org,
        first_name="Gil",
        last_name="Groupe",
        group_ids=[groups["ventes"].pk],
        custom_values={fields["site"].pk: "Lyon"},
        deletion_date=_later(),
    )
    assert _values(created) == {"site": "Lyon"}


def test_a_group_admin_cannot_set_them_on_a_member_outside_their_groups(
    org: Any, group_admin: Any, groups: dict[str, Any], fields: dict[str, Any]
) -> None:
    """Only who may edit the profile afterwards sets them now; the creation is undone."""
    from equipage.accounts.actions import member_create
    from equipage.accounts.models import Member
    from equipage.core.errors import DomainError

    with pytest.raises(DomainError):
        member_create(
            actor=group_admin,
            organization=org,
            first_name="Hors",
            last_name="Groupe",
            custom_values={fields["site"].pk: "Lyon"},
        )
    assert not Member.objects.filter(organization=org, last_name="Groupe").exists()


def test_after_inviting_the_form_keeps_only_the_addresses_not_invited(
    login_as: Any, admin: Any, org: Any, fields: dict[str, Any]
) -> None:
    page = (
        login_as(admin)
        .post(
            "/o/acme/invitations/new",
            {"emails": "ok@acme.test, pas-une-adresse", f"cf_{fields['site'].pk}": "Lyon"},
        )
        .content.decode()
    )
    textarea = page.split('name="emails"')[1].split("</textarea>")[0]
    assert "pas-une-adresse" in textarea and "ok@acme.test" not in textarea
    assert '<option value="Lyon" selected>' in page  # the same choices for the next batch
    assert 'class="error"' not in page
