"""Reads about members."""

from __future__ import annotations

from django.db.models import Q, Value
from django.db.models.functions import Lower

from equipage.accounts.models import (
    CustomField,
    CustomFieldValue,
    Member,
    MemberRole,
    MemberState,
    OwnershipTransfer,
    Role,
    TransferStatus,
)
from equipage.accounts.ordering import name_order
from equipage.organizations.models import Organization


def member_by_identifier(organization: Organization, identifier: str) -> Member | None:
    """Find a member of ``organization`` by login or e-mail, case-insensitively.

    Two lookups on ``lower()`` of the column, each answered by an index of
    (organization, lower(column)): ``member_login_lower`` (accounts 0010) and the
    e-mail's unique index ``member_email_unique_ci`` (whose ``email <> ''`` is
    repeated here so the planner may use it). ``iexact`` on an OR of both read
    the whole organization on SQLite (1.2 s a login at a million members).
    ``lower()`` on both sides folds what ``iexact`` folded (ASCII on SQLite).
    When a login and another member's e-mail are both the identifier, the
    older member wins, as the single query's ``first()`` chose.
    """
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    wanted = Lower(Value(identifier))
    members = Member.objects.filter(organization=organization).select_related("organization")
    # No ORDER BY: the planner would walk the primary key instead of the lower() index.
    found = [
        *members.alias(_login=Lower("login")).filter(_login=wanted),
        *members.exclude(email="").alias(_email=Lower("email")).filter(_email=wanted),
    ]
    return min(found, key=lambda m: m.pk) if found else None


def owner_of(organization: Organization) -> Member | None:
    row = (
        MemberRole.objects.filter(organization=organization, role=Role.OWNER)
        .select_related("member")
        .first()
    )
    return row.member if row else None


def owner_id(organization_id: int) -> int | None:
    """Return the id of the organization's owner (one cheap query, no row loaded)."""
    return (
        MemberRole.objects.filter(organization_id=organization_id, role=Role.OWNER)
        .values_list("member_id", flat=True)
        .first()
    )


def roles_of(member: Member) -> list[str]:
    return sorted(MemberRole.objects.filter(member=member).values_list("role", flat=True))


def roles_after_role_change(member: Member, role: str) -> list[str]:
    """Return the roles ``member`` holds once ``role`` replaces their administrative role.

    Ownership is no administrative role: the owner keeps it (only a transfer moves it).
    """
    return [Role.OWNER, role] if Role.OWNER in roles_of(member) else [role]


def administrators(organization: Organization) -> list[Member]:
    """Return the active owner and admins, whose contact card every member sees (seed 004)."""
    ids = MemberRole.objects.filter(
        organization=organization, role__in=[Role.OWNER, Role.ADMIN]
    ).values("member_id")
    return list(Member.objects.filter(pk__in=ids, state=MemberState.ACTIVE).order_by(*name_order()))


def pending_transfer(
    organization: Organization, party: Member | None = None
) -> OwnershipTransfer | None:
    """Return the organization's pending ownership transfer (there is one at most).

    With ``party``, only the transfer offered by or to that member.
    """
    qs = OwnershipTransfer.objects.filter(
        organization=organization, status=TransferStatus.PENDING
    ).select_related("to_member", "from_member")
    if party is not None:
        qs = qs.filter(Q(to_member=party) | Q(from_member=party))
    return qs.first()


def transfer_candidates(organization: Organization, owner: Member) -> list[Member]:
    """Return the active admins the owner may hand the organization to, by name."""
    ids = MemberRole.objects.filter(organization=organization, role=Role.ADMIN).values("member_id")
    return list(
        Member.objects.filter(pk__in=ids, state=MemberState.ACTIVE)
        .exclude(pk=owner.pk)
        .order_by(*name_order())
    )


def custom_fields(organization: Organization) -> list[CustomField]:
    """Return the organization's custom fields, in their own order."""
    return list(CustomField.objects.filter(organization=organization))


def custom_values_of(member: Member) -> dict[int, str]:
    """Return the member's custom field values, by field id."""
    return dict(
        CustomFieldValue.objects.filter(member=member, organization_id=member.org_id).values_list(
            "field_id", "value"
        )
    )


def members_by_ids(organization_id: int, ids: list[int]) -> list[Member]:
    """Return the organization's members among ``ids``, by name then e-mail (a selection's names)."""
    return list(
        Member.objects.filter(organization_id=organization_id, pk__in=ids).order_by(
            "last_name", "first_name", "email", "pk"
        )
    )
