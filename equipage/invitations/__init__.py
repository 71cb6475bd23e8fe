"""Invitations: invite, resend, cancel, revoke, accept, expire."""
