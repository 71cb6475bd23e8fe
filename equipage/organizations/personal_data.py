"""The lifecycle policies' part of a member's own data: the inactivity warnings they got."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from equipage.core.personal_data import personal_data
from equipage.organizations.models import DormancyWarning

if TYPE_CHECKING:
    from equipage.accounts.models import Member


@personal_data("inactivity_warnings")
def inactivity_warnings(member: Member) -> list[Any]:
    return list(
        DormancyWarning.objects.filter(member=member)
        .order_by("-warned_at")
        .values("since", "warned_at")[:1000]
    )
