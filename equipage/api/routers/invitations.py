"""Invitations: invite many addresses at once, resend, cancel."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from equipage.api.common import FreeText, InputSchema, RowId, actor, organization
from equipage.api.errors import ERROR_RESPONSES
from equipage.invitations.actions import invitation_cancel, invitation_resend, invitations_create
from equipage.invitations.selectors import access_invitation_by_id
from equipage.permissions import access_member_by_id

router = Router(tags=["invitations"])


class InviteIn(InputSchema):
    emails: FreeText = Field(
        ...,
        min_length=1,
        max_length=20000,
        description="Addresses separated by commas, semicolons, spaces or new lines.",
    )
    roles: list[Literal["admin", "user_admin", "member"]] = ["member"]
    group_ids: list[RowId] = []
    language: Literal["", "fr", "en"] = ""


class InviteOutcomeOut(Schema):
    email: str
    status: str
    message: str
    member_id: int | None
    way_forward: str


class InvitationOut(Schema):
    id: int
    member_id: int
    status: str


@router.post(
    "", response={200: list[InviteOutcomeOut], **ERROR_RESPONSES}, summary="Invite addresses"
)
def invite_people(request: HttpRequest, payload: InviteIn) -> Any:
    """Invite every address; each one is answered on its own (invited, already active, ...)."""
    outcomes = invitations_create(
        actor=actor(request),
        organization=organization(request),
        emails=payload.emails,
        roles=payload.roles,
        group_ids=payload.group_ids,
        language=payload.language,
    )
    return [o.as_dict() for o in outcomes]


@router.post(
    "/members/{member_id}/resend",
    response={200: dict[str, Any], **ERROR_RESPONSES},
    summary="Resend an invitation",
)
def resend_invitation(request: HttpRequest, member_id: int) -> Any:
    """Send a member's invitation again, with a new link."""
    member = access_member_by_id(actor(request), member_id)
    invitation_resend(actor=actor(request), member=member)
    return {"member_id": member.pk, "resent": True}


@router.post(
    "/{invitation_id}/cancel",
    response={200: InvitationOut, **ERROR_RESPONSES},
    summary="Cancel an invitation",
)
def cancel_invitation(request: HttpRequest, invitation_id: int) -> Any:
    """Cancel a pending invitation; its link stops working."""
    invitation = access_invitation_by_id(actor(request), invitation_id)
    invitation = invitation_cancel(actor=actor(request), invitation=invitation)
    return {"id": invitation.pk, "member_id": invitation.member_id, "status": invitation.status}
