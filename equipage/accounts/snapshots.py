"""What an audit event records of a member (before/after)."""

from __future__ import annotations

from typing import Any

from equipage.accounts.models import Member

SNAPSHOT_FIELDS = (
    "login",
    "email",
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "language",
    "state",
    "must_change_password",
    "contact_roles",
    "auto_delete_on",
    "external_id",
)


def member_snapshot(member: Member, fields: tuple[str, ...] = SNAPSHOT_FIELDS) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(member, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the keys whose value changed."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
