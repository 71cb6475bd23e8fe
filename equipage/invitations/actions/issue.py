"""What sending one invitation does, whichever action sends it: the link, the daily limit, the mail.

Used by the address form (``invite``) and the bulk actions (``bulk``).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from equipage.accounts.models import Member, MemberState
from equipage.accounts.tokens import new_token
from equipage.core import clock
from equipage.instance.links import base_url
from equipage.invitations.models import Invitation, InvitationStatus
from equipage.organizations.models import Organization
from equipage.permissions import Actor


def invitation_link(organization: Organization, raw: str) -> str:
    return f"{base_url()}/o/{organization.slug}/join/{raw}/"


def _sent_today(org: Organization) -> int:
    since = clock.now() - dt.timedelta(days=1)
    return Invitation.objects.filter(organization=org, created_at__gt=since).count()


class DailyBudget:
    """Counts what is left of the organization's daily invitation limit in this transaction."""

    def __init__(self, org: Organization) -> None:
        self.left = max(org.daily_invitation_limit - _sent_today(org), 0)

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def limit_message(org: Organization) -> str:
    return _(
        "The daily invitation limit of this organization (%(n)d) is reached; try again tomorrow."
    ) % {"n": org.daily_invitation_limit}


def issue_invitation(
    *,
    actor: Actor,
    org: Organization,
    member: Member,
    roles: list[str],
    group_ids: list[int],
    language: str = "",
) -> Invitation:
    """Create a pending invitation for ``member``, kill older ones and queue its mail."""
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    now = clock.now()
    Invitation.objects.filter(member=member, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.CANCELLED, decided_at=now
    )
    raw, digest = new_token()
    invitation = Invitation.objects.create(
        organization=org,
        member=member,
        email=member.email,
        token_hash=digest,
        roles=roles,
        group_ids=group_ids,
        invited_by=actor.member,
        invited_by_label=_inviter_name(actor),
        created_at=now,
        expires_at=now + dt.timedelta(days=org.invitation_lifetime_days),
    )
    queue_mail(
        kind=MailKind.INVITATION,
        to=member.email,
        organization=org,
        member=member,
        language=language or member.language or org.language,
        context={
            "link": invitation_link(org, raw),
            "inviter": invitation.invited_by_label,
            "days": org.invitation_lifetime_days,
            "expires_at": invitation.expires_at,
        },
    )
    return invitation


def _inviter_name(actor: Actor) -> str:
    if actor.member is not None and actor.member.full_name:
        return actor.member.full_name[:200]
    return actor.label[:200]


def invitation_facts(invitation: Invitation) -> dict[str, object]:
    return {
        "email": invitation.email,
        "roles": invitation.roles,
        "groups": invitation.group_ids,
        "expires_at": invitation.expires_at.isoformat(),
    }


def set_member_state(member: Member, state: MemberState) -> None:
    if member.state != state:
        member.state = state
        member.updated_at = clock.now()
        Member.objects.filter(pk=member.pk).update(state=state, updated_at=member.updated_at)
