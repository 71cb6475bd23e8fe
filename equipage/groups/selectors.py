"""Reads about groups: subtrees, ancestors, a member's groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from equipage.groups.models import Group, GroupMembership, GroupRole, Label
from equipage.groups.models import subtree_ids as subtree_ids  # the tree lives with the schema

if TYPE_CHECKING:
    from equipage.accounts.models import Member
    from equipage.permissions import Actor

# Members in the bin (accounts.bin) are counted nowhere (accounts.models.MemberState).
BINNED = "binned"


def propagation_targets(group: Group) -> list[Group]:
    """Return the groups a plain member added to ``group`` also joins (seed 002).

    A public group passes its members up to every ancestor, up to and including
    the first private one; a private group passes nothing on.
    """
    from equipage.groups.models import Visibility

    targets = [group]
    if group.visibility == Visibility.PRIVATE:
        return targets
    ancestors = {
        g.pk: g
        for g in Group.objects.filter(
            pk__in=group.ancestor_ids, organization_id=group.organization_id
        )
    }
    for ancestor_id in reversed(group.ancestor_ids):
        ancestor = ancestors[ancestor_id]
        targets.append(ancestor)
        if ancestor.visibility == Visibility.PRIVATE:
            break
    return targets


def groups_by_name(organization_id: int) -> dict[str, Group]:
    return {g.name: g for g in Group.objects.filter(organization_id=organization_id)}


def group_tree(
    organization_id: int, only: Iterable[int] | None = None
) -> list[tuple[int, str, int]]:
    """Return (id, name, depth) in tree order (a parent before its children) for pickers.

    ``only`` keeps those groups (a group admin's reach); depth stays the tree's own.
    """
    keep = set(only) if only is not None else None
    rows = Group.objects.filter(organization_id=organization_id).order_by("path")
    return [
        (pk, name, path.count("/") - 2)
        for pk, name, path in rows.values_list("pk", "name", "path")
        if keep is None or pk in keep
    ]


def assignable_group_tree(actor: Actor) -> list[tuple[int, str, int]]:
    """Return the tree of the groups ``actor`` may put members into, for the pickers."""
    from equipage.permissions.policy import assignable_group_ids

    return group_tree(actor.org_id, assignable_group_ids(actor))


def groups_with_counts(organization_id: int) -> list[Group]:
    """Return the groups in tree order, each with ``n``, its number of members (one query);
    members in the bin are not counted, as the directory does not list them."""
    from django.db.models import Count, Q

    return list(
        Group.objects.filter(organization_id=organization_id)
        .annotate(n=Count("memberships", filter=~Q(memberships__member__state=BINNED)))
        .order_by("path")
    )


def group_admins(group: Group) -> list[GroupMembership]:
    """Return the memberships of the group's admins, by member name."""
    from equipage.accounts.ordering import name_order

    return list(
        GroupMembership.objects.filter(group=group, role=GroupRole.GROUP_ADMIN)
        .exclude(member__state=BINNED)
        .select_related("member")
        .order_by(*name_order("member__"))
    )


def group_admin_candidates(group: Group, admins: Iterable[GroupMembership]) -> list[Member]:
    """Return the active members who could be made admins of ``group`` (the first 500 by name)."""
    from equipage.accounts.models import Member, MemberState
    from equipage.accounts.ordering import name_order

    return list(
        Member.objects.filter(organization_id=group.organization_id, state=MemberState.ACTIVE)
        .exclude(pk__in=[a.member_id for a in admins])
        .order_by(*name_order())[:500]
    )


def group_member_count(group: Group) -> int:
    return GroupMembership.objects.filter(group=group).exclude(member__state=BINNED).count()


def group_children(group: Group) -> list[Group]:
    return list(Group.objects.filter(parent=group).order_by("name"))


def labels_with_counts(organization_id: int) -> list[Label]:
    """Return the organization's labels by name, each with ``n``, how many members carry it
    (members in the bin left out)."""
    from django.db.models import Count, Q

    return list(
        Label.objects.filter(organization_id=organization_id)
        .annotate(n=Count("member_rows", filter=~Q(member_rows__member__state=BINNED)))
        .order_by("name")
    )


def labels_by_name(organization_id: int, ids: Iterable[int] | None = None) -> list[Label]:
    """Return the organization's labels (those of ``ids`` if given), by name."""
    rows = Label.objects.filter(organization_id=organization_id)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return list(rows.order_by("name"))


def labels_on(member: Member) -> tuple[list[Label], list[Label]]:
    """Return the labels ``member`` carries and the organization's others, each by name."""
    rows = Label.objects.filter(organization_id=member.org_id)
    return (
        list(rows.filter(member_rows__member=member).order_by("name")),
        list(rows.exclude(member_rows__member=member).order_by("name")),
    )


def memberships_of(member: Member) -> list[GroupMembership]:
    """Return the member's memberships, with their group, in tree order."""
    return list(
        GroupMembership.objects.filter(member=member, organization_id=member.org_id)
        .select_related("group")
        .order_by("group__path")
    )


def group_in(organization_id: int, group_id: int | None) -> Group | None:
    """Return the organization's group ``group_id``, or None (another tenant's included)."""
    if group_id is None:
        return None
    return Group.objects.filter(organization_id=organization_id, pk=group_id).first()
