"""Group tree, seed 002's propagation, labels: each action audited, each refusal clear."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.core.errors import Conflict, InvariantViolation, NotFound, PermissionDenied
from equipage.groups.actions import (
    group_add_member,
    group_create,
    group_delete,
    group_move,
    group_remove_member,
    group_update,
    label_create,
    label_delete,
    labels_attach,
    labels_detach,
)
from equipage.groups.models import GroupMembership, MemberLabel


def names(member: Any) -> list[str]:
    return sorted(
        GroupMembership.objects.filter(member=member).values_list("group__name", flat=True)
    )


def test_member_added_to_a_public_group_joins_ancestors_up_to_the_first_private_one(
    org: Any, owner: Any, outsider: Any, audit_events: Any
) -> None:
    root = group_create(actor=owner, organization=org, name="Racine")
    private = group_create(
        actor=owner, organization=org, name="Privé", parent=root, visibility="private"
    )
    mid = group_create(actor=owner, organization=org, name="Milieu", parent=private)
    leaf = group_create(actor=owner, organization=org, name="Feuille", parent=mid)
    group_add_member(actor=owner, group=leaf, member=outsider)
    assert names(outsider) == ["Atelier", "Feuille", "Milieu", "Privé"]  # not "Racine"
    assert (
        audit_events(event_type="group.member_added", member=outsider).count("group.member_added")
        >= 3
    )


def test_member_added_to_a_private_group_joins_only_it(org: Any, owner: Any, outsider: Any) -> None:
    parent = group_create(actor=owner, organization=org, name="Parent")
    secret = group_create(
        actor=owner, organization=org, name="Secret", parent=parent, visibility="private"
    )
    group_add_member(actor=owner, group=secret, member=outsider)
    assert names(outsider) == ["Atelier", "Secret"]


def test_group_admin_role_does_not_propagate(
    org: Any, owner: Any, groups: Any, outsider: Any
) -> None:
    group_add_member(actor=owner, group=groups["nord"], member=outsider, role="group_admin")
    assert names(outsider) == ["Atelier", "Ventes Nord"]


def test_group_names_are_unique_in_an_organization(org: Any, owner: Any, groups: Any) -> None:
    with pytest.raises(Conflict):
        group_create(actor=owner, organization=org, name="Ventes")


def test_moving_a_group_carries_its_subtree_and_refuses_cycles(
    org: Any, owner: Any, groups: Any, audit_events: Any
) -> None:
    sub = group_create(actor=owner, organization=org, name="Nord-Est", parent=groups["nord"])
    group_move(actor=owner, group=groups["nord"], new_parent=groups["atelier"])
    sub.refresh_from_db()
    assert sub.path.startswith(groups["atelier"].path)
    with pytest.raises(InvariantViolation):
        group_move(actor=owner, group=groups["atelier"], new_parent=sub)
    with pytest.raises(InvariantViolation):
        group_move(actor=owner, group=groups["atelier"], new_parent=groups["atelier"])
    assert "group.moved" in audit_events()


def test_a_group_with_subgroups_cannot_be_deleted(
    org: Any, owner: Any, groups: Any, member: Any
) -> None:
    with pytest.raises(InvariantViolation):
        group_delete(actor=owner, group=groups["ventes"])
    group_delete(actor=owner, group=groups["nord"])
    member.refresh_from_db()  # the member stays
    assert names(member) == ["Ventes"]


def test_group_admin_manages_memberships_only_inside_their_reach(
    org: Any, group_admin: Any, groups: Any, outsider: Any, member: Any
) -> None:
    group_add_member(actor=group_admin, group=groups["nord"], member=outsider)
    with pytest.raises(PermissionDenied):
        group_add_member(actor=group_admin, group=groups["atelier"], member=member)
    with pytest.raises(PermissionDenied):
        group_create(actor=group_admin, organization=org, name="Mine")


def test_another_tenant_cannot_touch_our_groups(
    org: Any, groups: Any, other_admin: Any, member: Any
) -> None:
    with pytest.raises(NotFound):
        group_update(actor=other_admin, group=groups["ventes"], name="Pwned")
    with pytest.raises(NotFound):
        group_remove_member(actor=other_admin, group=groups["nord"], member=member)


def test_rename_and_visibility_change_are_audited(org: Any, owner: Any, groups: Any) -> None:
    from equipage.audit.models import AuditEvent

    group_update(actor=owner, group=groups["ventes"], name="Commerce", visibility="private")
    e = AuditEvent.objects.get(event_type="group.updated")
    assert e.before == {"name": "Ventes", "visibility": "public"}
    assert e.after == {"name": "Commerce", "visibility": "private"}


def test_remove_member_from_group(
    org: Any, owner: Any, groups: Any, member: Any, audit_events: Any
) -> None:
    group_remove_member(actor=owner, group=groups["nord"], member=member)
    assert names(member) == ["Ventes"]
    assert "group.member_removed" in audit_events()


def test_labels_attach_and_detach_in_bulk_with_reasons(
    org: Any, owner: Any, user_admin: Any, member: Any, outsider: Any, admin: Any, audit_events: Any
) -> None:
    label = label_create(actor=owner, organization=org, name="Télétravail")
    result = labels_attach(actor=user_admin, label=label, members=[member, outsider, admin])
    assert {m.pk for m in result.done} == {member.pk, outsider.pk}
    assert [m.pk for m, _ in result.skipped] == [admin.pk]  # outranks a user admin
    again = labels_attach(actor=owner, label=label, members=[member])
    assert again.skipped and "Already" in again.skipped[0][1]
    labels_detach(actor=owner, label=label, members=[member])
    assert set(MemberLabel.objects.values_list("member_id", flat=True)) == {outsider.pk}
    assert audit_events().count("label.attached") == 2 and "label.detached" in audit_events()
    label_delete(actor=owner, label=label)
    assert not MemberLabel.objects.exists()


def test_label_names_are_unique_and_user_admins_cannot_create_labels(
    org: Any, owner: Any, user_admin: Any
) -> None:
    label_create(actor=owner, organization=org, name="Nouveau")
    with pytest.raises(Conflict):
        label_create(actor=owner, organization=org, name="Nouveau")
    with pytest.raises(PermissionDenied):
        label_create(actor=user_admin, organization=org, name="Autre")


def test_removing_someone_not_in_the_group_is_refused_only_when_asked(
    org: Any, owner: Any, outsider: Any, groups: dict[str, Any], audit_events: Any
) -> None:
    """The bulk bar asks (it names who was skipped); a single removal stays idempotent."""
    from equipage.core.errors import InvariantViolation
    from equipage.groups.actions import group_remove_member

    group_remove_member(actor=owner, group=groups["ventes"], member=outsider)
    with pytest.raises(InvariantViolation):
        group_remove_member(actor=owner, group=groups["ventes"], member=outsider, missing_ok=False)
    assert "group.member_removed" not in audit_events()
