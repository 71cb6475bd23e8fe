"""An end date on a group membership (issue #19.5): removed on that day, audited as the system."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from equipage.audit.models import AuditEvent
from equipage.core import clock
from equipage.core.errors import ValidationFailed
from equipage.groups.actions import group_add_member
from equipage.groups.housekeeping import end_due_memberships
from equipage.groups.models import GroupMembership

pytestmark = pytest.mark.django_db


def test_membership_ends_on_its_date_once_through_the_groups_write_path(
    frozen_clock: Any, org: Any, owner: Any, groups: dict[str, Any], outsider: Any
) -> None:
    ends = clock.today() + dt.timedelta(days=3)
    group_add_member(actor=owner, group=groups["ventes"], member=outsider, ends_on=ends)
    row = GroupMembership.objects.get(group=groups["ventes"], member=outsider)
    assert row.ends_on == ends
    frozen_clock.advance(days=2)
    assert end_due_memberships() == 0
    frozen_clock.advance(days=1)
    assert end_due_memberships() == 1
    assert end_due_memberships() == 0
    assert not GroupMembership.objects.filter(group=groups["ventes"], member=outsider).exists()
    assert GroupMembership.objects.filter(group=groups["atelier"], member=outsider).exists()
    removed = AuditEvent.objects.get(event_type="group.member_removed", member_id=outsider.pk)
    assert removed.actor_label == "membership end date" and removed.actor_id is None


def test_end_date_in_the_past_is_refused(
    org: Any, owner: Any, groups: dict[str, Any], outsider: Any
) -> None:
    with pytest.raises(ValidationFailed):
        group_add_member(
            actor=owner,
            group=groups["ventes"],
            member=outsider,
            ends_on=clock.today() - dt.timedelta(days=1),
        )
