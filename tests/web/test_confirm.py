"""Deleting a group or a label takes two clicks: the first only asks, naming it and what follows."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_deleting_a_group_first_asks_with_its_name_and_the_consequences(
    login_as: Any, admin: Any, org: Any, owner: Any
) -> None:
    from equipage.groups.actions import group_create
    from equipage.groups.models import Group

    group = group_create(actor=owner, organization=org, name="Chorale")
    client = login_as(admin)
    asked = client.post(f"/o/acme/groups/{group.pk}/", {"op": "delete"})
    body = asked.content.decode()
    assert asked.status_code == 200 and Group.objects.filter(pk=group.pk).exists()
    assert "Delete the group “Chorale”?" in body and "It has no member." in body
    assert 'name="confirmed" value="yes"' in body and 'name="op" value="delete"' in body
    done = client.post(f"/o/acme/groups/{group.pk}/", {"op": "delete", "confirmed": "yes"})
    assert done.status_code == 302 and not Group.objects.filter(pk=group.pk).exists()


def test_deleting_a_label_first_asks_with_its_name_and_how_many_carry_it(
    login_as: Any, admin: Any, org: Any, member: Any
) -> None:
    from equipage.groups.actions import label_create
    from equipage.groups.models import Label, MemberLabel

    label = label_create(actor=admin, organization=org, name="Bénévole")
    MemberLabel.objects.create(organization=org, member=member, label=label)
    client = login_as(admin)
    asked = client.post("/o/acme/labels/", {"op": "delete", "label": label.pk})
    body = asked.content.decode()
    assert asked.status_code == 200 and Label.objects.filter(pk=label.pk).exists()
    assert "Delete the label “Bénévole”?" in body and "the 1 member who carries it" in body
    client.post("/o/acme/labels/", {"op": "delete", "label": label.pk, "confirmed": "yes"})
    assert not Label.objects.filter(pk=label.pk).exists()


def test_the_confirmation_speaks_french(login_as: Any, admin: Any, groups: dict[str, Any]) -> None:
    client = login_as(admin)
    client.cookies["django_language"] = "fr"
    body = client.post(f"/o/acme/groups/{groups['atelier'].pk}/", {"op": "delete"}).content
    assert "Supprimer le groupe « Atelier » ?" in body.decode()


def test_deleting_a_custom_field_first_asks_and_says_values_are_lost(
    login_as: Any, admin: Any, org: Any
) -> None:
    from equipage.accounts.models import CustomField

    client = login_as(admin)
    client.post("/o/acme/fields/", {"op": "create", "name": "Taille", "kind": "text"})
    field = CustomField.objects.get(organization=org, name="Taille")
    asked = client.post("/o/acme/fields/", {"op": "delete", "field": field.pk})
    assert asked.status_code == 200 and "Delete the field “Taille”?" in asked.content.decode()
    assert CustomField.objects.filter(pk=field.pk).exists()
    client.post("/o/acme/fields/", {"op": "delete", "field": field.pk, "confirmed": "yes"})
    assert not CustomField.objects.filter(pk=field.pk).exists()
