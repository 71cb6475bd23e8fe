"""Invitation reminders (issue #19.5): at 2 and 5 days, each exactly once, in the invitee's language."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.audit.models import AuditEvent
from equipage.emails.models import DeliveryStatus, MailKind, OutboundEmail
from equipage.invitations.actions import invitations_create
from equipage.invitations.models import Invitation, InvitationReminder
from equipage.invitations.reminders import send_invitation_reminders
from equipage.organizations.lifecycle import lifecycle_policy_update


def _reminders(to: str) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(to=to, kind=MailKind.INVITATION_REMINDER).order_by("id")
    )


@pytest.fixture
def reminding(org: Any, owner: Any) -> Any:
    return lifecycle_policy_update(
        actor=owner, organization=org, reminders_enabled=True, reminder_days="2, 5"
    )


@pytest.mark.django_db
def test_reminders_go_at_two_and_five_days_once_each_then_the_invitation_expires(
    frozen_clock: Any, org: Any, admin: Any, reminding: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test", language="fr")
    frozen_clock.advance(days=1, hours=23)
    assert send_invitation_reminders() == 0
    frozen_clock.advance(hours=1)  # exactly 2 days
    assert send_invitation_reminders() == 1
    assert send_invitation_reminders() == 0  # a second round sends nothing again
    first = _reminders("alice@acme.test")
    assert len(first) == 1 and first[0].language == "fr" and "Rappel" in first[0].subject
    frozen_clock.advance(days=3)
    assert send_invitation_reminders() == 1
    assert send_invitation_reminders() == 0
    assert len(_reminders("alice@acme.test")) == 2
    frozen_clock.advance(days=5)  # past the 7-day lifetime: nothing more
    assert send_invitation_reminders() == 0
    invitation = Invitation.objects.get(email="alice@acme.test")
    assert invitation.is_expired()
    assert sorted(invitation.reminders.values_list("after_days", flat=True)) == [2, 5]
    events = AuditEvent.objects.filter(event_type="invitation.reminded", organization=org)
    assert events.count() == 2 and {e.actor_label for e in events} == {"invitation reminders"}


@pytest.mark.django_db
def test_the_reminder_link_is_the_one_that_works(
    frozen_clock: Any, org: Any, admin: Any, reminding: Any
) -> None:
    from equipage.accounts.tokens import hash_token

    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    frozen_clock.advance(days=2)
    send_invitation_reminders()
    body = _reminders("alice@acme.test")[0].body_text
    raw = body.split("/join/")[1].split("/")[0]
    assert Invitation.objects.get(email="alice@acme.test").token_hash == hash_token(raw)


@pytest.mark.django_db
def test_no_reminder_to_a_bounced_address_nor_when_the_policy_is_off(
    frozen_clock: Any, org: Any, admin: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test, bob@acme.test")
    frozen_clock.advance(days=2)
    assert send_invitation_reminders() == 0  # off by default
    lifecycle_policy_update(actor=admin, organization=org, reminders_enabled=True)
    OutboundEmail.objects.filter(to="bob@acme.test").update(delivery_status=DeliveryStatus.BOUNCED)
    assert send_invitation_reminders() == 1
    assert _reminders("bob@acme.test") == []
    assert len(_reminders("alice@acme.test")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(
    frozen_clock: Any, org: Any, admin: Any, reminding: Any
) -> None:
    from tests.accounts.test_concurrency import race

    invitations_create(
        actor=admin, organization=org, emails="a@acme.test, b@acme.test, c@acme.test"
    )
    frozen_clock.advance(days=2)
    results = race(send_invitation_reminders, send_invitation_reminders)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 3
    assert OutboundEmail.objects.filter(kind=MailKind.INVITATION_REMINDER).count() == 3
    assert InvitationReminder.objects.count() == 3
