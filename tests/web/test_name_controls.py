"""The console's group, label and custom-field forms refuse control characters (#16.2).

The attack: a group « Ventes\\x00 » (PostgreSQL answered 500), a label with a
unit separator or a right-to-left override (stored on both engines), a
custom-field choice with a NUL, sent through the console's own forms.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from equipage.accounts.models import CustomField
from equipage.groups.actions import group_create
from equipage.groups.models import Group, Label

BAD = ["Ven\x00tes", "Ven\x1ftes", "Ventes\u202egnp", "Ven\u200btes"]


def _client(member: Any) -> Client:
    client = Client()
    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    return client


def _refused(response: Any) -> None:
    assert response.status_code == 400, response.status_code
    assert 'class="error' in response.content.decode() or "errorlist" in response.content.decode()


@pytest.mark.parametrize("name", BAD)
def test_console_group_create_refuses_a_control_character(org: Any, owner: Any, name: str) -> None:
    r = _client(owner).post(f"/o/{org.slug}/groups/", {"name": name, "visibility": "public"})
    _refused(r)
    assert not Group.objects.filter(organization=org, name__contains="Ven").exists()


@pytest.mark.parametrize("name", BAD)
def test_console_group_rename_refuses_a_control_character(org: Any, owner: Any, name: str) -> None:
    group = group_create(actor=owner, organization=org, name="Ventes")
    r = _client(owner).post(
        f"/o/{org.slug}/groups/{group.pk}/",
        {"op": "edit", "name": name, "visibility": "public", "parent": ""},
    )
    _refused(r)
    group.refresh_from_db()
    assert group.name == "Ventes"


@pytest.mark.parametrize("name", BAD)
def test_console_label_create_refuses_a_control_character(org: Any, owner: Any, name: str) -> None:
    r = _client(owner).post(f"/o/{org.slug}/labels/", {"name": name, "color": "#4b6bfb"})
    _refused(r)
    assert not Label.objects.filter(organization=org).exists()


@pytest.mark.parametrize("name", BAD)
def test_console_custom_field_refuses_a_control_character_in_its_name_or_choices(
    org: Any, owner: Any, name: str
) -> None:
    client = _client(owner)
    _refused(client.post(f"/o/{org.slug}/fields/", {"name": name, "kind": "text"}))
    _refused(
        client.post(
            f"/o/{org.slug}/fields/", {"name": "Site", "kind": "choice", "choices": f"A\n{name}"}
        )
    )
    assert not CustomField.objects.filter(organization=org).exists()
