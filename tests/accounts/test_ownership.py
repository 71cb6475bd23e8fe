"""Ownership transfer (owner names an admin, the admin accepts) and the operator's reassignment."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.accounts.actions import (
    member_set_roles,
    ownership_reassign,
    ownership_transfer_accept,
    ownership_transfer_cancel,
    ownership_transfer_start,
)
from equipage.accounts.selectors import owner_of, roles_of
from equipage.core.errors import InvariantViolation, NotFound, PermissionDenied, ValidationFailed
from equipage.emails.models import OutboundEmail


def test_transfer_swaps_roles_when_the_admin_accepts(
    org: Any, owner: Any, admin: Any, audit_events: Any
) -> None:
    transfer = ownership_transfer_start(actor=owner, to_member=admin)
    assert owner_of(org) == owner  # nothing changes before acceptance
    assert OutboundEmail.objects.get(kind="ownership_transfer").to == admin.email
    ownership_transfer_accept(actor=admin, transfer=transfer)
    assert owner_of(org) == admin
    assert roles_of(owner) == ["admin"]
    assert "ownership.transferred" in audit_events()


def test_only_an_active_admin_can_receive_ownership(org: Any, owner: Any, member: Any) -> None:
    with pytest.raises(InvariantViolation):
        ownership_transfer_start(actor=owner, to_member=member)


def test_only_the_owner_starts_a_transfer(org: Any, admin: Any, owner: Any) -> None:
    from tests.conftest import make_member

    other = make_member(org, owner, "Other", "Admin", ["admin"])
    with pytest.raises(PermissionDenied):
        ownership_transfer_start(actor=admin, to_member=other)


def test_only_the_named_admin_accepts(
    org: Any, owner: Any, admin: Any, user_admin: Any, other_admin: Any
) -> None:
    transfer = ownership_transfer_start(actor=owner, to_member=admin)
    with pytest.raises(NotFound):
        ownership_transfer_accept(actor=user_admin, transfer=transfer)
    with pytest.raises(NotFound):
        ownership_transfer_accept(actor=other_admin, transfer=transfer)
    assert owner_of(org) == owner


def test_a_cancelled_or_stale_transfer_cannot_be_accepted(org: Any, owner: Any, admin: Any) -> None:
    transfer = ownership_transfer_start(actor=owner, to_member=admin)
    ownership_transfer_cancel(actor=owner, transfer=transfer)
    with pytest.raises(InvariantViolation):
        ownership_transfer_accept(actor=admin, transfer=transfer)
    transfer2 = ownership_transfer_start(actor=owner, to_member=admin)
    member_set_roles(actor=owner, member=admin, roles=["user_admin"])  # no longer an admin
    with pytest.raises(InvariantViolation):
        ownership_transfer_accept(actor=admin, transfer=transfer2)
    assert owner_of(org) == owner


def test_operator_reassigns_with_a_reason_only(
    org: Any, owner: Any, member: Any, operator: Any
) -> None:
    with pytest.raises(ValidationFailed):
        ownership_reassign(actor=operator, organization=org, to_member=member, reason="  ")
    with pytest.raises(PermissionDenied):
        from equipage.permissions import as_actor

        ownership_reassign(actor=as_actor(owner), organization=org, to_member=member, reason="x")
    ownership_reassign(actor=operator, organization=org, to_member=member, reason="signed letter")
    assert owner_of(org) == member
    assert "owner" in roles_of(member) and "owner" not in roles_of(owner)
