"""Announcing expired invitations (audit trail and the ``invitation.expired`` webhook)."""

from __future__ import annotations

from equipage.core.housekeeping import periodic


@periodic
def announce_expired_invitations() -> int:
    """Record ``invitation.expired`` once for every invitation whose lifetime has passed."""
    from equipage.invitations.actions import expire_invitations

    return expire_invitations()


@periodic
def send_invitation_reminders() -> int:
    """Remind invitees who have not answered, where the organization asked for it (#19.5)."""
    from equipage.invitations.reminders import send_invitation_reminders as send

    return send()
