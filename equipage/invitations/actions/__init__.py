"""Every write about invitations, one module per thing a person does (seeds 001–003).

- ``invite``: invite addresses, each answered on its own line;
- ``bulk``: invite, resend or revoke listed members, cancel one invitation;
- ``accept``: the link checked and the first-login form;
- ``expiry``: expired invitations announced once;
- ``issue``: what sending one invitation does, shared by ``invite`` and ``bulk``.
"""

from equipage.invitations.actions.accept import (
    InvitationLinkError,
    acceptable_roles,
    invitation_accept,
    invitation_by_token,
)
from equipage.invitations.actions.bulk import (
    invitation_cancel,
    invitation_resend,
    invitations_resend,
    invitations_revoke,
    members_invite,
)
from equipage.invitations.actions.expiry import expire_invitations
from equipage.invitations.actions.invite import (
    InviteOutcome,
    InviteStatus,
    WayForward,
    invitations_create,
    split_addresses,
)
from equipage.invitations.actions.issue import invitation_link

__all__ = [
    "InvitationLinkError",
    "InviteOutcome",
    "InviteStatus",
    "WayForward",
    "acceptable_roles",
    "expire_invitations",
    "invitation_accept",
    "invitation_by_token",
    "invitation_cancel",
    "invitation_link",
    "invitation_resend",
    "invitations_create",
    "invitations_resend",
    "invitations_revoke",
    "members_invite",
    "split_addresses",
]
