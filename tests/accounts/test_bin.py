"""The bin for deletions (issue #19.4): « Supprimer » moves members there for the
organization's ``bin_days``; restorable with their roles, groups and labels; erased after."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from equipage.accounts.actions import (
    member_create,
    member_delete,
    member_restore,
    members_delete,
    members_restore,
)
from equipage.accounts.actions.login import login_attempt
from equipage.accounts.housekeeping import empty_bins
from equipage.accounts.models import Member, MemberRole
from equipage.audit.models import AuditEvent
from equipage.core.errors import Conflict, NotFound, PermissionDenied, SeatLimitExceeded
from equipage.groups.actions import label_create, labels_attach
from equipage.groups.models import GroupMembership, MemberLabel
from equipage.organizations.actions import organization_update
from equipage.organizations.selectors import active_member_count
from equipage.permissions import Actor, Origin, members_visible_to
from tests.conftest import make_member


def _logs_in(org: Any, who: Any, password: str = "member-pass-123") -> bool:
    outcome = login_attempt(
        organization=org, identifier=who.login, password=password, origin=Origin(), cookies={}
    )
    return outcome.member is not None


@pytest.fixture
def labelled(org: Any, admin: Any, member: Any) -> Any:
    """The member, in "Ventes Nord", with a label and the user admin role."""
    from equipage.accounts.actions import member_set_roles

    label = label_create(actor=admin, organization=org, name="Secouriste")
    labels_attach(actor=admin, label=label, members=[member])
    member_set_roles(actor=admin, member=member, roles=["user_admin"])
    member.refresh_from_db()
    return member


def test_a_deleted_member_cannot_log_in_takes_no_seat_and_is_hidden_until_restored(
    org: Any, admin: Any, labelled: Any, audit_events: Any
) -> None:
    assert _logs_in(org, labelled)
    seats = active_member_count(org.pk)
    groups = set(GroupMembership.objects.filter(member=labelled).values_list("group_id", "role"))
    labels = set(MemberLabel.objects.filter(member=labelled).values_list("label_id", flat=True))
    member_delete(actor=admin, member=labelled)
    assert not _logs_in(org, labelled)
    assert active_member_count(org.pk) == seats - 1
    assert not members_visible_to(Actor.for_member(admin)).filter(pk=labelled.pk).exists()
    # The refused login is audited too (member.login_failed), after the deletion.
    assert audit_events(event_type="member.deleted") == ["member.deleted"]

    member_restore(actor=admin, member=labelled)
    assert labelled.state == "active" and labelled.binned_at is None
    assert audit_events()[0] == "member.restored"
    assert _logs_in(org, labelled)
    assert active_member_count(org.pk) == seats
    assert set(GroupMembership.objects.filter(member=labelled).values_list("group_id", "role")) == (
        groups
    )
    assert set(MemberLabel.objects.filter(member=labelled).values_list("label_id", flat=True)) == (
        labels
    )
    assert set(MemberRole.objects.filter(member=labelled).values_list("role", flat=True)) == {
        "user_admin"
    }


def test_a_session_open_when_the_member_is_deleted_ends(
    org: Any, admin: Any, member: Any, client: Any
) -> None:
    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    assert client.get(f"/o/{org.slug}/").status_code == 200
    member_delete(actor=admin, member=member)
    response = client.get(f"/o/{org.slug}/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_deleting_a_member_ends_their_session_records_and_restoring_gives_none_back(
    org: Any, admin: Any, member: Any, client: Any
) -> None:
    from equipage.accounts.console_sessions import active_sessions
    from equipage.accounts.models import ConsoleSession

    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    assert client.get(f"/o/{org.slug}/").status_code == 200
    assert len(active_sessions(member)) == 1
    kept = make_member(org, admin, "Kept", "Other")
    other = Client()
    other.force_login(kept, backend="equipage.accounts.backends.MemberBackend")
    assert other.get(f"/o/{org.slug}/").status_code == 200
    members_delete(actor=admin, organization=org, members=[member.pk])
    assert not ConsoleSession.objects.filter(member_id=member.pk).exists()
    assert ConsoleSession.objects.filter(member_id=kept.pk).count() == 1  # only theirs end
    members_restore(actor=admin, organization=org, members=[member.pk])
    member.refresh_from_db()
    assert active_sessions(member) == []
    response = client.get(f"/o/{org.slug}/")  # the old session stays over after the restore
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_deactivated_member_comes_back_deactivated(org: Any, admin: Any, member: Any) -> None:
    from equipage.accounts.actions import member_deactivate

    member_deactivate(actor=admin, member=member)
    member_delete(actor=admin, member=member)
    assert member_restore(actor=admin, member=member).state == "deactivated"


def test_the_bin_is_erased_when_its_period_is_over_not_before(
    org: Any, admin: Any, member: Any, outsider: Any, frozen_clock: Any
) -> None:
    organization_update(actor=admin, organization=org, bin_days=10)
    org.refresh_from_db()
    members_delete(actor=admin, organization=org, members=[member])
    frozen_clock.advance(days=5)
    members_delete(actor=admin, organization=org, members=[outsider])
    frozen_clock.advance(days=5, seconds=-1)
    assert empty_bins() == 0
    frozen_clock.advance(seconds=2)
    assert empty_bins() == 1
    assert not Member.objects.filter(pk=member.pk).exists()
    assert Member.objects.get(pk=outsider.pk).state == "binned"
    frozen_clock.advance(days=5)
    assert empty_bins() == 1 and not Member.objects.filter(pk=outsider.pk).exists()
    assert AuditEvent.objects.filter(organization=org, event_type="member.erased").count() == 2


def test_a_user_admin_cannot_restore_an_admin(
    org: Any, owner: Any, user_admin: Any, admin: Any
) -> None:
    member_delete(actor=owner, member=admin)
    with pytest.raises(PermissionDenied):
        member_restore(actor=user_admin, member=admin)
    result = members_restore(actor=user_admin, organization=org, members=[admin.pk])
    assert not result.done and Member.objects.get(pk=admin.pk).state == "binned"


def test_another_tenant_cannot_restore_or_see_a_binned_member(
    org: Any, admin: Any, member: Any, other_admin: Any
) -> None:
    member_delete(actor=admin, member=member)
    with pytest.raises(NotFound):
        member_restore(actor=other_admin, member=member)
    result = members_restore(
        actor=other_admin, organization=other_admin.organization, members=[member.pk]
    )
    assert not result.done
    assert Member.objects.get(pk=member.pk).state == "binned"


def test_restoring_needs_a_free_seat(org: Any, owner: Any, admin: Any, member: Any) -> None:
    member_delete(actor=admin, member=member)
    organization_update(actor=owner, organization=org, seats=active_member_count(org.pk))
    org.refresh_from_db()
    with pytest.raises(SeatLimitExceeded):
        member_restore(actor=admin, member=member)
    assert Member.objects.get(pk=member.pk).state == "binned"


def test_a_login_or_address_held_in_the_bin_is_refused_with_words_naming_the_bin(
    org: Any, admin: Any, member: Any
) -> None:
    member_delete(actor=admin, member=member)
    with pytest.raises(Conflict, match="in the bin"):
        member_create(
            actor=admin, organization=org, first_name="N", last_name="Ew", login=member.login
        )
    with pytest.raises(Conflict, match="in the bin"):
        member_create(
            actor=admin, organization=org, first_name="N", last_name="Ew", email=member.email
        )
    from equipage.invitations.actions import invitations_create

    outcomes = invitations_create(actor=admin, organization=org, emails=member.email)
    assert [o.status for o in outcomes] == ["refused"] and "in the bin" in outcomes[0].message
    assert Member.objects.get(pk=member.pk).state == "binned"


def test_an_import_naming_a_member_in_the_bin_is_refused_and_a_sync_leaves_them_there(
    org: Any, admin: Any, member: Any
) -> None:
    from tests.imports.helpers import EN_HEADER, csv_bytes, run_import

    member_delete(actor=admin, member=member)
    data = csv_bytes(
        [[member.login, "Other", "Name", "", "", "Active"]], header=EN_HEADER, delimiter=","
    )
    report = run_import(org, admin, data, mode="upsert")
    assert not report.applied
    assert [e["code"] for e in report.errors] == ["member_in_bin"]
    other = make_member(org, admin, "Keep", "Me")
    sync = csv_bytes([[other.login, "Me", "Keep", other.email, "", "Active"]], header=EN_HEADER)
    run_import(org, admin, sync, mode="sync", confirm_mass_deactivation=True)
    assert Member.objects.get(pk=member.pk).state == "binned"


def test_deleting_can_be_undone_from_the_directory(org: Any, admin: Any, member: Any) -> None:
    from equipage.directory.undo import run_undo, undo_token

    act = Actor.for_member(admin)
    result = members_delete(actor=act, organization=org, members=[member.pk])
    token = undo_token(
        actor=act, organization=org, key="delete", done=[m.pk for m in result.done], target={}
    )
    key, undone = run_undo(actor=act, organization=org, token=token)
    assert key == "restore" and [m.pk for m in undone.done] == [member.pk]
    assert Member.objects.get(pk=member.pk).state == "active"


def test_restoring_sends_the_member_restored_webhook(org: Any, admin: Any, member: Any) -> None:
    from equipage.webhooks.actions import webhook_create
    from equipage.webhooks.models import WebhookDelivery

    webhook_create(
        actor=admin,
        organization=org,
        url="https://hooks.example.com/in",
        events=["member.deleted", "member.restored"],
    )
    member_delete(actor=admin, member=member)
    member_restore(actor=admin, member=member)
    assert list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True)) == [
        "member.deleted",
        "member.restored",
    ]
