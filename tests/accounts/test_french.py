"""A French organization gets French messages from the actions layer (seeds are French)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from equipage.accounts.actions import member_deactivate
from equipage.core.errors import InvariantViolation, SeatLimitExceeded
from equipage.organizations.actions import organization_update


def test_refusals_are_in_french_for_a_french_admin(org: Any, owner: Any, admin: Any) -> None:
    with (
        translation.override("fr"),
        pytest.raises(InvariantViolation, match="Le propriétaire ne peut pas être désactivé"),
    ):
        member_deactivate(actor=admin, member=owner)


def test_seat_refusal_names_the_numbers_in_french(org: Any, owner: Any) -> None:
    from equipage.accounts.actions import member_create

    organization_update(actor=owner, organization=org, seats=1)
    with (
        translation.override("fr"),
        pytest.raises(SeatLimitExceeded, match=r"il faut 1 siège de plus \(occupés : 1 sur 1\)"),
    ):
        member_create(actor=owner, organization=org, first_name="Plus", last_name="Un")
