"""Signing console sessions out: one's own from the profile, a member's everywhere as an admin.

A signed-out session's record is deleted; the session is refused on its next
request on any node (``accounts.console_sessions``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.console_sessions import end_sessions
from equipage.accounts.models import ConsoleSession, Member
from equipage.accounts.selectors import owner_id
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core.errors import NotFound
from equipage.permissions import Actor, Cap, as_actor, authorize, refuse


def _own(actor: Actor, member: Member) -> None:
    """Refuse unless ``actor`` is ``member`` themselves, in their organization."""
    if (
        actor.member is None
        or actor.member.pk != member.pk
        or actor.organization_id != member.organization_id
    ):
        raise refuse(actor, _("Only the member themselves can sign out these sessions."))


def session_sign_out(*, actor: Actor | Member, member: Member, session_id: int) -> None:
    """Sign out one of one's own sessions; another member's or tenant's id is not found."""
    actor = as_actor(actor)
    _own(actor, member)
    with transaction.atomic():
        row = (
            ConsoleSession.objects.select_for_update()
            .filter(pk=session_id, member_id=member.pk, organization_id=member.org_id)
            .first()
        )
        if row is None:
            raise NotFound(_("This session is already over."))
        row.delete()
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.SESSION_ENDED,
            target=member,
            after={"device": " ".join(filter(None, (row.browser, row.system)))},
        )


def sessions_sign_out_others(*, actor: Actor | Member, member: Member, keep: int | None) -> int:
    """Sign out every session of one's own but ``keep`` (the one asking); return how many."""
    actor = as_actor(actor)
    _own(actor, member)
    return _end(actor, member, keep=keep, scope="others", always=True)


def sessions_sign_out_everywhere(*, actor: Actor | Member, member: Member) -> int:
    """Sign a member out of every session (« Déconnecter partout »); return how many ended.

    Whoever may edit the member may; the owner's sessions are the owner's alone.
    """
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_UPDATE, member)
    is_self = actor.member is not None and actor.member.pk == member.pk
    if not is_self and owner_id(member.org_id) == member.pk:
        raise refuse(actor, _("Only the owner can sign out the owner's sessions."))
    return _end(actor, member, keep=None, scope="everywhere", always=True)


def sessions_end_after_password(
    *, actor: Actor, member: Member, keep: int | None = None, reason: str
) -> int:
    """End ``member``'s sessions but ``keep`` after their password changed (inside the
    password action's transaction); audited when any ended.

    The password's change already voids them through the session hash; deleting
    the records keeps the profile's list true.
    """
    return _end(actor, member, keep=keep, scope=reason)


def _end(
    actor: Actor, member: Member, *, keep: int | None, scope: str, always: bool = False
) -> int:
    """Delete the records and audit it: always when asked for, after a password when any ended."""
    with transaction.atomic():
        count = end_sessions(member, keep=keep)
        if count or always:
            record(
                actor=actor,
                organization=member.organization,
                event=EventType.SESSIONS_ENDED,
                target=member,
                after={"count": count, "scope": scope},
            )
    return count
