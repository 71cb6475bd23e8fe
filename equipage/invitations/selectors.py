"""Reads about invitations."""

from __future__ import annotations

from django.db.models import QuerySet

from equipage.core import clock
from equipage.invitations.models import Invitation, InvitationStatus
from equipage.organizations.models import Organization


def pending_invitations(organization: Organization) -> QuerySet[Invitation]:
    """Return the organization's invitations still waiting for an answer (not expired)."""
    return Invitation.objects.filter(
        organization=organization, status=InvitationStatus.PENDING, expires_at__gt=clock.now()
    )
