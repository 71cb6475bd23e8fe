"""Adding members to groups with seed 002's propagation, shared by every action that does it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from equipage.audit.events import EventType
from equipage.audit.record import Entry, record_many
from equipage.groups.models import Group, GroupMembership, GroupRole
from equipage.groups.selectors import propagation_targets

if TYPE_CHECKING:
    from equipage.accounts.models import Member
    from equipage.permissions.actor import Actor


def add_memberships(
    *,
    actor: Actor,
    member: Member,
    group_ids: list[int],
    role: str = GroupRole.MEMBER,
    ends_on: dt.date | None = None,
) -> list[GroupMembership]:
    """Add ``member`` to the groups (and, as a plain member, to their public ancestors).

    Runs inside the caller's transaction; permission checks are the caller's.
    Existing memberships are kept as they are (a group admin stays one), except
    that ``ends_on`` (the membership's end date) is set on the named groups'
    memberships; the ancestors joined by this addition end with it.
    """
    groups = list(Group.objects.filter(organization_id=member.org_id, pk__in=group_ids))
    wanted: dict[int, tuple[Group, str]] = {}
    for group in groups:
        wanted[group.pk] = (group, role)
        if role == GroupRole.MEMBER:
            for ancestor in propagation_targets(group)[1:]:
                wanted.setdefault(ancestor.pk, (ancestor, GroupRole.MEMBER))
    existing = dict(
        GroupMembership.objects.filter(member=member, group_id__in=list(wanted)).values_list(
            "group_id", "role"
        )
    )
    created = [
        GroupMembership(
            organization_id=member.org_id, group=g, member=member, role=r, ends_on=ends_on
        )
        for gid, (g, r) in wanted.items()
        if gid not in existing
    ]
    promote = [
        gid
        for gid, (_g, r) in wanted.items()
        if existing.get(gid) == GroupRole.MEMBER and r == GroupRole.GROUP_ADMIN
    ]
    GroupMembership.objects.bulk_create(created)
    renewed = [g.pk for g in groups if g.pk in existing]
    if ends_on is not None and renewed:
        GroupMembership.objects.filter(member=member, group_id__in=renewed).update(ends_on=ends_on)
    if promote:
        GroupMembership.objects.filter(member=member, group_id__in=promote).update(
            role=GroupRole.GROUP_ADMIN
        )
    record_many(
        actor=actor,
        organization=member.organization,
        entries=[
            Entry(
                EventType.GROUP_MEMBER_ADDED,
                target=m.group,
                member=member,
                after=_added_facts(member, m.role, m.ends_on),
            )
            for m in created
        ]
        + [
            Entry(
                EventType.GROUP_MEMBER_ADDED,
                target=wanted[gid][0],
                member=member,
                after={"member": member.login, "role": GroupRole.GROUP_ADMIN},
            )
            for gid in promote
        ],
    )
    return created


def _added_facts(member: Member, role: str, ends_on: dt.date | None) -> dict[str, str]:
    facts = {"member": member.login, "role": role}
    if ends_on is not None:
        facts["ends_on"] = ends_on.isoformat()
    return facts
