"""The group picker of « Ajouter un membre » and « Inviter »: the tree as checkboxes."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/o/acme/members/new", "/o/acme/invitations/new"])
def test_the_picker_shows_the_tree_indented_by_depth_without_a_multi_select(
    login_as: Any, admin: Any, groups: dict[str, Any], url: str
) -> None:
    body = login_as(admin).get(url).content.decode()
    picker = body[body.index("data-group-picker") :]
    picker = picker[: picker.index("</ul>")]
    rows = re.findall(r'<li class="depth-(\d)"><label[^>]*><input[^>]*value="(\d+)"', picker)
    # Tree order: Ventes, then its child Ventes Nord one level down; Atelier is a root.
    by_id = {int(pk): int(depth) for depth, pk in rows}
    assert by_id == {groups["ventes"].pk: 0, groups["nord"].pk: 1, groups["atelier"].pk: 0}
    order = [int(pk) for _d, pk in rows]
    assert order.index(groups["ventes"].pk) + 1 == order.index(groups["nord"].pk)
    assert "data-group-filter hidden" in picker  # revealed by page.js only
    assert "<select multiple" not in body and 'multiple id="id_groups"' not in body
    assert "<legend>Groups</legend>" in body


def test_an_invitation_goes_out_with_two_groups_and_two_roles(
    login_as: Any, admin: Any, org: Any, groups: dict[str, Any]
) -> None:
    from equipage.accounts.models import Member
    from equipage.invitations.models import Invitation

    login_as(admin).post(
        "/o/acme/invitations/new",
        {
            "emails": "zoe@acme.test",
            "roles": ["member", "user_admin"],
            "groups": [groups["ventes"].pk, groups["atelier"].pk],
            "language": "fr",
        },
    )
    invited = Member.objects.get(organization=org, email="zoe@acme.test")
    invitation = Invitation.objects.get(member=invited)
    # Roles and groups are promised by the invitation and given when it is accepted.
    assert set(invitation.roles) == {"member", "user_admin"} and invited.language == "fr"
    assert set(invitation.group_ids) == {groups["ventes"].pk, groups["atelier"].pk}


def test_an_invitation_into_another_organizations_group_is_refused(
    login_as: Any, admin: Any, org: Any, groups: dict[str, Any], other_org: Any, other_owner: Any
) -> None:
    from equipage.accounts.models import Member
    from equipage.groups.actions import group_create

    foreign = group_create(actor=other_owner, organization=other_org, name="Globex")
    response = login_as(admin).post(
        "/o/acme/invitations/new", {"emails": "zoe@acme.test", "groups": [foreign.pk]}
    )
    assert response.status_code == 200
    assert not Member.objects.filter(email="zoe@acme.test").exists()


def test_a_group_admin_sees_only_their_own_subtree(
    login_as: Any, group_admin: Any, groups: dict[str, Any]
) -> None:
    body = login_as(group_admin).get("/o/acme/members/new").content.decode()
    ids = {int(pk) for pk in re.findall(r'name="groups" value="(\d+)"', body)}
    assert groups["atelier"].pk not in ids and groups["ventes"].pk in ids
