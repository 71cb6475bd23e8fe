"""Accepting an invitation chooses a password under the organization's policy (#18.7)."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.accounts.models import Member, MemberState
from equipage.core.errors import ValidationFailed
from equipage.invitations.actions import invitation_accept, invitations_create
from tests.invitations.test_actions import _raw_token


@pytest.mark.parametrize(
    ("weak", "rule"), [("Elevenchars", "at least 12 characters"), ("qwerty123456", "too common")]
)
def test_an_invitee_cannot_choose_a_password_the_policy_refuses(
    org: Any, admin: Any, weak: str, rule: str
) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    raw = _raw_token("alice@acme.test")
    with pytest.raises(ValidationFailed, match=rule):
        invitation_accept(
            organization=org, raw_token=raw, first_name="Alice", last_name="M", password=weak
        )
    assert Member.objects.get(email="alice@acme.test").state == MemberState.INVITED
    # The refusal does not spend the invitation.
    invitation_accept(
        organization=org, raw_token=raw, first_name="Alice", last_name="M", password="Twelve-chars"
    )
    assert Member.objects.get(email="alice@acme.test").state == MemberState.ACTIVE
