"""What deactivating members does, whichever path deactivates them.

The member actions (console, API, CLI, SCIM, the directory's bulk bar) and the
roster import both end here, so a deactivated account loses the same things
everywhere: its state, every open session (``session_version`` goes up: the
session hashes and the set-password links bound to it stop matching), its
pending invitations and the API tokens it created. Deciding *who* may be
deactivated stays with the caller (the actions' triage, the import's plan).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import F

from equipage.accounts.console_sessions import end_sessions_of
from equipage.accounts.models import Member, MemberState
from equipage.core.idlist import id_list
from equipage.organizations.models import Organization
from equipage.permissions import Actor


def deactivate_members(
    *, actor: Actor, organization: Organization, member_ids: Sequence[int], now: dt.datetime
) -> None:
    """Deactivate ``member_ids`` of ``organization`` in the caller's transaction (no audit row:
    the caller records its own events, one per member, with its own wording)."""
    if not member_ids:
        return
    from equipage.invitations.models import Invitation, InvitationStatus
    from equipage.tokens.actions import tokens_revoke_for_creators
    from equipage.tokens.models import RevokedReason

    Member.objects.filter(organization_id=organization.pk, pk__in=id_list(member_ids)).update(
        state=MemberState.DEACTIVATED,
        deactivated_at=now,
        updated_at=now,
        session_version=F("session_version") + 1,
    )
    # Their sessions already fail the session hash; their records go too (issue #18.4).
    end_sessions_of(organization.pk, member_ids)
    Invitation.objects.filter(
        member_id__in=id_list(member_ids), status=InvitationStatus.PENDING
    ).update(status=InvitationStatus.CANCELLED, decided_at=now)
    tokens_revoke_for_creators(
        actor=actor,
        organization=organization,
        member_ids=set(member_ids),
        reason=RevokedReason.CREATOR_DEACTIVATED,
    )


def queue_deactivation_notices(organization: Organization, members: Iterable[Member]) -> None:
    """Tell deactivated members by mail, when the organization chose to (seed 003)."""
    if not organization.deactivation_notice:
        return
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    for m in members:
        if m.email:
            queue_mail(
                kind=MailKind.DEACTIVATION_NOTICE, to=m.email, organization=organization, member=m
            )
