"""The Guide column (seed 001): the next step for the admin, computed in one place."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from equipage.accounts.models import MemberState
from equipage.invitations.models import InvitationStatus


class Guide(models.TextChoices):
    INVITE = "invite", _("Invite")
    WAIT = "wait", _("Wait")
    OK = "ok", _("OK")
    RESEND = "resend", _("Resend invitation")
    REACTIVATE = "reactivate", _("Reactivate")
    CHECK_EMAIL = "check_email", _("Check e-mail address")


def compute_guide(
    *,
    state: str,
    invitation_status: str | None,
    invitation_expired: bool,
    last_mail_bounced: bool,
) -> Guide:
    """Return the next step for a member from its state, invitation and delivery facts."""
    if state == MemberState.DEACTIVATED:
        return Guide.REACTIVATE
    if last_mail_bounced:
        return Guide.CHECK_EMAIL
    if state == MemberState.ACTIVE:
        return Guide.OK
    if invitation_status == InvitationStatus.PENDING:
        return Guide.RESEND if invitation_expired else Guide.WAIT
    # Never invited, or invitation revoked/cancelled: they may be invited (again).
    return Guide.INVITE
