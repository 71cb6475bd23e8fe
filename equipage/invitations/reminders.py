"""Reminding people who have not answered their invitation (issue #19.5; GitLab, Zulip).

At each day of the organization's list (2 and 5 by default) after the
invitation was sent, one reminder mail, in the language of the invitation
mail, through the outbox. ``InvitationReminder`` holds one row per
(invitation, day): inserted in the same transaction as the mail, under the
organization's lock, so two workers never send the same reminder. A
reminder carries a fresh link (only hashes of links are kept, so the first
mail's link cannot be sent again): the older link stops working, the
expiry date stays the invitation's. Skipped while the last mail to the
address bounced; nothing is sent once the invitation has expired.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from equipage.accounts.tokens import new_token
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.emails.models import DeliveryStatus, MailKind, OutboundEmail
from equipage.emails.outbox import queue_mail
from equipage.invitations.actions.issue import invitation_link
from equipage.invitations.models import Invitation, InvitationReminder, InvitationStatus
from equipage.organizations.models import LifecyclePolicy, Organization
from equipage.organizations.seats import lock_organization
from equipage.permissions import Actor

# Invitations reminded per organization and round: a backlog goes over the next rounds.
BATCH = 500


def due_steps(invitation: Invitation, days: list[int], now: dt.datetime) -> list[int]:
    """Return the reminder days that have come for ``invitation`` before it expires."""
    return [
        d
        for d in days
        if invitation.created_at + dt.timedelta(days=d) <= now
        and invitation.created_at + dt.timedelta(days=d) < invitation.expires_at
    ]


def _bounced(invitation: Invitation) -> bool:
    last = (
        OutboundEmail.objects.filter(member_id=invitation.member_id)
        .order_by("-created_at", "-id")
        .values_list("delivery_status", flat=True)
        .first()
    )
    return last == DeliveryStatus.BOUNCED


def _language(invitation: Invitation) -> str:
    """Return the language the invitation was written in (the invitee's)."""
    sent = (
        OutboundEmail.objects.filter(member_id=invitation.member_id, kind=MailKind.INVITATION)
        .order_by("-created_at", "-id")
        .values_list("language", flat=True)
        .first()
    )
    return sent or invitation.member.effective_language()


def remind(policy: LifecyclePolicy, now: dt.datetime) -> int:
    """Send the reminders of one organization that have come and were not sent yet."""
    days = sorted(int(d) for d in policy.reminder_days or [])
    if not days:
        return 0
    sent = 0
    with transaction.atomic():
        org = lock_organization(policy.organization_id)
        pending = (
            Invitation.objects.filter(
                organization=org,
                status=InvitationStatus.PENDING,
                expires_at__gt=now,
                created_at__lte=now - dt.timedelta(days=days[0]),
            )
            .select_related("member")
            .order_by("id")[:BATCH]
        )
        for invitation in pending:
            if _remind_one(org, invitation, days, now):
                sent += 1
    return sent


def _remind_one(
    org: Organization, invitation: Invitation, days: list[int], now: dt.datetime
) -> bool:
    """Send ``invitation``'s latest due reminder if none of its due days was sent yet."""
    done = set(invitation.reminders.values_list("after_days", flat=True))
    todo = [d for d in due_steps(invitation, days, now) if d not in done]
    if not todo or not invitation.email or _bounced(invitation):
        return False
    try:
        with transaction.atomic():
            # A round that missed a day sends one mail for the days that came meanwhile.
            InvitationReminder.objects.bulk_create(
                [InvitationReminder(invitation=invitation, after_days=d, sent_at=now) for d in todo]
            )
    except IntegrityError:  # another worker sent it first
        return False
    raw, digest = new_token()
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=digest)
    left = max((invitation.expires_at - now).days, 1)
    queue_mail(
        kind=MailKind.INVITATION_REMINDER,
        to=invitation.email,
        organization=org,
        member=invitation.member,
        language=_language(invitation),
        context={
            "link": invitation_link(org, raw),
            "inviter": invitation.invited_by_label,
            "days": left,
            "expires_at": invitation.expires_at,
        },
    )
    record(
        actor=Actor.system(org, "invitation reminders"),
        organization=org,
        event=EventType.INVITATION_REMINDED,
        target=invitation,
        member=invitation.member,
        target_label=invitation.email,
        after={"after_days": todo[-1], "expires_at": invitation.expires_at.isoformat()},
    )
    return True


def send_invitation_reminders() -> int:
    """Send due reminders in every organization that turned them on."""
    now = clock.now()
    total = 0
    for policy in LifecyclePolicy.objects.filter(reminders_enabled=True).order_by("pk"):
        total += remind(policy, now)
    return total
