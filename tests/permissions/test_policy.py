"""``access_<thing>_by_id``: fetch and authorise in one call; another tenant's id is not found."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.accounts.actions import custom_field_create, ownership_transfer_start
from equipage.core.errors import NotFound, PermissionDenied
from equipage.groups.actions import label_create
from equipage.permissions import (
    access_custom_field_by_id,
    access_label_by_id,
    access_transfer_by_id,
)


def test_admin_fetches_their_organizations_label_and_custom_field(org: Any, admin: Any) -> None:
    label = label_create(actor=admin, organization=org, name="Bénévole")
    field = custom_field_create(actor=admin, organization=org, name="Taille")
    assert access_label_by_id(admin, str(label.pk)) == label
    assert access_custom_field_by_id(admin, field.pk) == field


def test_another_tenants_label_and_custom_field_are_not_found(
    org: Any, admin: Any, other_admin: Any, other_org: Any
) -> None:
    # The attack: an admin of globex names acme's ids in their own requests.
    label = label_create(actor=admin, organization=org, name="Bénévole")
    field = custom_field_create(actor=admin, organization=org, name="Taille")
    with pytest.raises(NotFound):
        access_label_by_id(other_admin, label.pk)
    with pytest.raises(NotFound):
        access_label_by_id(other_admin, label.pk, None)
    with pytest.raises(NotFound):
        access_custom_field_by_id(other_admin, field.pk)


@pytest.mark.parametrize("raw", ["", "abc", "-1", "³", 2**64, None, "1\x00"])
def test_an_id_that_names_no_row_is_not_found(org: Any, admin: Any, raw: Any) -> None:
    with pytest.raises(NotFound):
        access_label_by_id(admin, raw)
    with pytest.raises(NotFound):
        access_custom_field_by_id(admin, raw)
    with pytest.raises(NotFound):
        access_transfer_by_id(admin, raw)


def test_member_may_read_a_label_to_be_attached_but_not_manage_it(
    org: Any, admin: Any, member: Any
) -> None:
    label = label_create(actor=admin, organization=org, name="Bénévole")
    assert access_label_by_id(member, label.pk, None) == label
    with pytest.raises(PermissionDenied):
        access_label_by_id(member, label.pk)
    field = custom_field_create(actor=admin, organization=org, name="Taille")
    with pytest.raises(PermissionDenied):
        access_custom_field_by_id(member, field.pk)


def test_only_the_two_parties_of_an_ownership_transfer_can_fetch_it(
    org: Any, owner: Any, admin: Any, user_admin: Any, other_admin: Any
) -> None:
    transfer = ownership_transfer_start(actor=owner, to_member=admin)
    assert access_transfer_by_id(owner, transfer.pk) == transfer
    assert access_transfer_by_id(admin, transfer.pk).to_member == admin
    # Another admin of the same organization, and another tenant's admin, see nothing.
    for stranger in (user_admin, other_admin):
        with pytest.raises(NotFound):
            access_transfer_by_id(stranger, transfer.pk)


def test_groups_a_group_admin_may_assign_are_their_subtree_and_the_picker_shows_the_same(
    org: Any, group_admin: Any, groups: dict[str, Any]
) -> None:
    from equipage.groups.selectors import assignable_group_tree
    from equipage.permissions import Actor
    from equipage.permissions.policy import assignable_group_ids, authorize_groups

    reach = {groups["ventes"].pk, groups["nord"].pk}
    assert assignable_group_ids(group_admin) == reach
    assert {
        pk for pk, _name, _depth in assignable_group_tree(Actor.for_member(group_admin))
    } == reach
    # The attack: the picker's answer and the action's must agree, so a group outside is refused.
    with pytest.raises(PermissionDenied):
        authorize_groups(Actor.for_member(group_admin), [groups["atelier"].pk])


def test_a_user_admin_who_also_administers_a_group_may_assign_every_group(
    org: Any, owner: Any, user_admin: Any, groups: dict[str, Any]
) -> None:
    """One answer for the picker and the action: the organization-wide right wins."""
    from equipage.groups.actions import group_add_member
    from equipage.groups.selectors import assignable_group_tree
    from equipage.permissions import Actor
    from equipage.permissions.policy import assignable_group_ids

    group_add_member(actor=owner, group=groups["atelier"], member=user_admin, role="group_admin")
    assert assignable_group_ids(user_admin) is None
    assert len(assignable_group_tree(Actor.for_member(user_admin))) == len(groups)
