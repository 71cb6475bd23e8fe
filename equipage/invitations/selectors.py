"""Reads about invitations: pending ones (seats), the Invitations list, one by id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, Min, OuterRef, Subquery
from django.utils.translation import gettext as _

from equipage.core import clock
from equipage.core.errors import NotFound, PermissionDenied
from equipage.core.text import without_controls
from equipage.invitations.models import Invitation, InvitationStatus
from equipage.invitations.models import pending_invitations as pending_invitations
from equipage.permissions import Actor, Cap, authorize, members_visible_to

if TYPE_CHECKING:
    from equipage.accounts.models import Member


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    expired: bool
    first_invited_at: Any
    mail_status: str
    delivery_status: str

    @property
    def sent_at(self) -> Any:
        return self.invitation.created_at


def invitations_list(
    actor: Actor, *, state: str = "", search: str = "", limit: int = 200, offset: int = 0
) -> tuple[list[InvitationRow], int]:
    """Return the pending and expired invitations the actor may manage, newest first.

    Accepted, cancelled and revoked ones are gone from the list (seed 002).
    ``state`` narrows to ``pending`` or ``expired``.
    """
    from equipage.emails.models import OutboundEmail

    authorize(actor, Cap.MEMBER_INVITE, None)
    now = clock.now()
    qs = Invitation.objects.filter(
        organization_id=actor.organization_id or 0,
        status=InvitationStatus.PENDING,
        member__in=members_visible_to(actor),
    )
    if state == "pending":
        qs = qs.filter(expires_at__gt=now)
    elif state == "expired":
        qs = qs.filter(expires_at__lte=now)
    search = without_controls(search or "").strip()
    if search:
        qs = qs.filter(email__icontains=search)
    first = (
        Invitation.objects.filter(member=OuterRef("member"))
        .values("member")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    mail = OutboundEmail.objects.filter(member=OuterRef("member"), kind="invitation").order_by(
        "-created_at", "-id"
    )
    qs = qs.annotate(
        first_invited_at=Subquery(first[:1]),
        mail_status=Subquery(mail.values("status")[:1]),
        delivery_status=Subquery(mail.values("delivery_status")[:1]),
        has_mail=Exists(mail),
    ).select_related("member")
    total = qs.count()
    rows = [
        InvitationRow(
            invitation=inv,
            expired=inv.expires_at <= now,
            first_invited_at=inv.first_invited_at,  # type: ignore[attr-defined]
            mail_status=inv.mail_status or "",  # type: ignore[attr-defined]
            delivery_status=inv.delivery_status or "",  # type: ignore[attr-defined]
        )
        for inv in qs.order_by("-created_at", "-id")[offset : offset + limit]
    ]
    return rows, total


def access_invitation_by_id(actor: Actor, invitation_id: object) -> Invitation:
    """Fetch an invitation of the actor's organization they may manage, or raise ``NotFound``."""
    try:
        inv = Invitation.objects.select_related("member", "organization").get(
            organization_id=actor.organization_id or 0, pk=int(str(invitation_id))
        )
    except (Invitation.DoesNotExist, ValueError):
        raise NotFound(_("Invitation not found.")) from None
    try:
        authorize(actor, Cap.MEMBER_INVITE, inv.member)
    except PermissionDenied:
        raise NotFound(_("Invitation not found.")) from None
    return inv


def pending_invitation_of(member: Member) -> Invitation | None:
    """Return the member's invitation waiting for an answer, if any (expired or not)."""
    return Invitation.objects.filter(member=member, status=InvitationStatus.PENDING).first()
