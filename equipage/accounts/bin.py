"""Reading the bin: deleted members not yet erased, and when each will be.

Deleting a member (``members_delete``) puts them here; ``members_restore``
takes them out; housekeeping (``accounts.housekeeping.empty_bins``) erases
them once their organization's ``bin_days`` are over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from equipage.accounts.models import Member
from equipage.organizations.models import Organization
from equipage.permissions import Actor, Cap, authorize
from equipage.permissions.policy import members_visible_to

BIN_PAGE = 200


@dataclass(frozen=True)
class BinnedMember:
    member: Member
    erased_on: dt.date


def binned_members(actor: Actor, organization: Organization) -> QuerySet[Member]:
    """Return the members in the bin the actor may see, the most recently deleted first."""
    authorize(actor, Cap.MEMBER_DELETE, organization)
    return members_visible_to(actor, in_bin=True).order_by("-binned_at", "-pk")


def bin_page(actor: Actor, organization: Organization) -> list[BinnedMember]:
    """Return the first ``BIN_PAGE`` members of the bin, each with their erasure date."""
    days = dt.timedelta(days=organization.bin_days)
    return [
        BinnedMember(m, ((m.binned_at or m.updated_at) + days).date())
        for m in binned_members(actor, organization)[:BIN_PAGE]
    ]
