"""Ending group memberships on their end date (issue #19.5)."""

from __future__ import annotations

from equipage.core import clock
from equipage.core.housekeeping import periodic

# Memberships ended per round: a backlog is worked off over the next rounds.
BATCH = 1000


@periodic
def end_due_memberships() -> int:
    """Remove every membership whose end date has come, through the groups' one write path.

    ``group_remove_member`` deletes and audits in one transaction, as the
    system; a second worker doing the same round deletes nothing and records
    nothing, so each ending is audited once.
    """
    from equipage.groups.actions import group_remove_member
    from equipage.groups.models import GroupMembership
    from equipage.permissions import Actor

    due = (
        GroupMembership.objects.filter(ends_on__lte=clock.today())
        .select_related("group__organization", "member")
        .order_by("ends_on", "id")[:BATCH]
    )
    ended = 0
    for membership in due:
        org = membership.group.organization
        group_remove_member(
            actor=Actor.system(org, "membership end date"),
            group=membership.group,
            member=membership.member,
        )
        ended += 1
    return ended
