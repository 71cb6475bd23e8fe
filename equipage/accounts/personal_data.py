"""The account's part of a member's own data: profile, roles, custom fields, password links,
console sessions and a pending change of address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from equipage.accounts.models import (
    CustomFieldValue,
    Member,
    MemberRole,
    OwnershipTransfer,
    PasswordToken,
)
from equipage.core.personal_data import personal_data


@personal_data("profile")
def profile(member: Member) -> dict[str, Any]:
    """Return who the member is and where their account stands (never the password hash)."""
    return {
        "id": member.pk,
        "organization": member.organization.slug if member.organization else None,
        "login": member.login,
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "phone": member.phone,
        "job_title": member.job_title,
        "language": member.language,
        "contact_roles": list(member.contact_roles or []),
        "state": member.state,
        "must_change_password": member.must_change_password,
        "has_password": member.has_usable_password(),
        "external_id": member.external_id,
        "auto_delete_on": member.auto_delete_on,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
        "activated_at": member.activated_at,
        "deactivated_at": member.deactivated_at,
        "last_login": member.last_login,
        "binned_at": member.binned_at,
    }


@personal_data("roles")
def roles(member: Member) -> list[str]:
    return sorted(MemberRole.objects.filter(member=member).values_list("role", flat=True))


@personal_data("custom_fields")
def custom_fields(member: Member) -> list[dict[str, Any]]:
    return [
        {"key": key, "name": name, "value": value}
        for key, name, value in CustomFieldValue.objects.filter(member=member)
        .order_by("field__position", "field_id")
        .values_list("field__key", "field__name", "value")
    ]


@personal_data("password_links")
def password_links(member: Member) -> Iterator[dict[str, Any]]:
    """Yield when set/reset-password links were made and used (the links themselves, never)."""
    rows = PasswordToken.objects.filter(member=member).order_by("-created_at", "-id")
    for purpose, created, expires, used in rows.values_list(
        "purpose", "created_at", "expires_at", "used_at"
    ).iterator():
        yield {"purpose": purpose, "created_at": created, "expires_at": expires, "used_at": used}


@personal_data("ownership_transfers")
def ownership_transfers(member: Member) -> list[dict[str, Any]]:
    rows = OwnershipTransfer.objects.filter(Q(from_member=member) | Q(to_member=member)).order_by(
        "-created_at", "-id"
    )
    return [
        {
            "direction": "given" if t.from_member_id == member.pk else "received",
            "status": t.status,
            "created_at": t.created_at,
            "decided_at": t.decided_at,
        }
        for t in rows
    ]


@personal_data("console_sessions")
def console_sessions(member: Member) -> list[dict[str, Any]]:
    """Return the member's open sessions as their profile lists them (never the key's hash)."""
    from equipage.accounts.console_sessions import active_sessions

    return [
        {
            "browser": s.browser,
            "system": s.system,
            "ip": s.ip,
            "created_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "expires_at": s.expires_at,
        }
        for s in active_sessions(member)
    ]


@personal_data("pending_email_change")
def pending_email_change(member: Member) -> dict[str, Any] | None:
    """Return the address the member asked to move to, while it waits (never the link)."""
    from equipage.accounts.actions.emailchange import pending_email_change as pending

    change = pending(member)
    if change is None:
        return None
    return {
        "new_email": change.new_email,
        "created_at": change.created_at,
        "expires_at": change.expires_at,
    }
