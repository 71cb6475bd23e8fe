"""The groups' part of a member's own data: their groups (role, end date) and labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from equipage.core.personal_data import personal_data
from equipage.groups.models import GroupMembership, MemberLabel

if TYPE_CHECKING:
    from equipage.accounts.models import Member


@personal_data("groups")
def groups(member: Member) -> list[dict[str, Any]]:
    return [
        {"group": name, "role": role, "ends_on": ends_on}
        for name, role, ends_on in GroupMembership.objects.filter(member=member)
        .order_by("group__path")
        .values_list("group__name", "role", "ends_on")
    ]


@personal_data("labels")
def labels(member: Member) -> list[str]:
    return sorted(MemberLabel.objects.filter(member=member).values_list("label__name", flat=True))
