"""Invitations to join an organization."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from equipage.core.models import OrgScoped

if TYPE_CHECKING:
    from equipage.organizations.models import Organization


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    CANCELLED = "cancelled", _("Cancelled")
    REVOKED = "revoked", _("Revoked")


class Invitation(OrgScoped):
    """One invitation mail's promise: a single-use token bound to org + address + roles.

    Expiry is not a stored status: a pending invitation whose ``expires_at`` has
    passed is expired (``is_expired``), so the clock alone moves it.
    """

    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.CharField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    roles = models.JSONField(default=list)
    group_ids = models.JSONField(default=list)
    invited_by = models.ForeignKey(
        "accounts.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_by_label = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "status", "expires_at"], name="invitation_pending"
            ),
            models.Index(fields=["member", "created_at"], name="invitation_member"),
        ]

    def is_expired(self, at: dt.datetime | None = None) -> bool:
        from equipage.core import clock

        return self.status == InvitationStatus.PENDING and self.expires_at <= (at or clock.now())


class InvitationReminder(models.Model):
    """One reminder mail sent for one invitation: the unique key makes it one, ever.

    ``after_days`` is the step of the organization's reminder list (2, 5…) it answers.
    """

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="reminders", db_index=False
    )
    after_days = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "after_days"], name="invitationreminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id} +{self.after_days}d"


def pending_invitations(organization: Organization) -> models.QuerySet[Invitation]:
    """Return the organization's invitations still waiting for an answer (not expired).

    Beside the model rather than in the selectors: an organization's seat usage
    (``organizations.selectors``) counts them, and organizations sit below invitations.
    """
    from equipage.core import clock

    return Invitation.objects.filter(
        organization=organization, status=InvitationStatus.PENDING, expires_at__gt=clock.now()
    )
