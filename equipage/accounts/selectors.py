"""Reads about members."""

from __future__ import annotations

from django.db.models import Q

from equipage.accounts.models import Member, MemberRole, Role
from equipage.directory.ordering import name_order
from equipage.organizations.models import Organization


def member_by_identifier(organization: Organization, identifier: str) -> Member | None:
    """Find a member of ``organization`` by login or e-mail, case-insensitively."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return (
        Member.objects.filter(organization=organization)
        .filter(Q(login__iexact=identifier) | Q(email__iexact=identifier))
        .select_related("organization")
        .first()
    )


def owner_of(organization: Organization) -> Member | None:
    row = (
        MemberRole.objects.filter(organization=organization, role=Role.OWNER)
        .select_related("member")
        .first()
    )
    return row.member if row else None


def roles_of(member: Member) -> list[str]:
    return sorted(MemberRole.objects.filter(member=member).values_list("role", flat=True))


def administrators(organization: Organization) -> list[Member]:
    """Return the active owner and admins, whose contact card every member sees (seed 004)."""
    from equipage.accounts.models import MemberState

    ids = MemberRole.objects.filter(
        organization=organization, role__in=[Role.OWNER, Role.ADMIN]
    ).values("member_id")
    return list(Member.objects.filter(pk__in=ids, state=MemberState.ACTIVE).order_by(*name_order()))
