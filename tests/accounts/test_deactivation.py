"""Every way of deactivating a member takes away the same things (accounts.deactivation).

The console's action, the roster import and SCIM once each kept their own copy
of the side effects; the attack each test replays is a deactivated person who
keeps something: a session, an API token, an invitation link.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from equipage.accounts.models import Member, MemberState
from equipage.tokens.actions import token_create
from equipage.tokens.models import ApiToken, RevokedReason


def by_action(org: Any, owner: Any, member: Any) -> None:
    from equipage.accounts.actions import member_deactivate

    member_deactivate(actor=owner, member=member)


def by_import(org: Any, owner: Any, member: Any) -> None:
    from tests.imports.helpers import EN_HEADER, csv_bytes, run_import

    row = [member.login, member.last_name, member.first_name, member.email, "", "Deactivated"]
    report = run_import(org, owner, csv_bytes([row], header=EN_HEADER), mode="upsert")
    assert report.applied, report.errors


def by_scim(org: Any, owner: Any, member: Any) -> None:
    from equipage.permissions import Actor
    from equipage.scim.actions import UserFields, scim_user_update

    fields = UserFields(
        login=member.login,
        first_name=member.first_name,
        last_name=member.last_name,
        email=member.email,
        active=False,
    )
    scim_user_update(actor=Actor.for_member(owner), member=member, fields=fields)


@pytest.mark.parametrize("deactivate", [by_action, by_import, by_scim])
def test_every_deactivation_path_ends_sessions_and_revokes_the_members_tokens(
    org: Any, owner: Any, admin: Any, deactivate: Callable[[Any, Any, Any], None]
) -> None:
    token = token_create(actor=admin, organization=org, name="sync", scopes=["api"]).token
    before = Member.objects.get(pk=admin.pk).session_version

    deactivate(org, owner, admin)

    admin = Member.objects.get(pk=admin.pk)
    assert admin.state == MemberState.DEACTIVATED and admin.deactivated_at is not None
    assert admin.session_version == before + 1  # every open session stops matching
    token = ApiToken.objects.get(pk=token.pk)
    assert token.revoked_at is not None
    assert token.revoked_reason == RevokedReason.CREATOR_DEACTIVATED


@pytest.mark.parametrize("deactivate", [by_action, by_import])
def test_every_deactivation_path_cancels_the_pending_invitation(
    org: Any, owner: Any, deactivate: Callable[[Any, Any, Any], None]
) -> None:
    from equipage.invitations.actions import invitations_create
    from equipage.invitations.models import Invitation, InvitationStatus

    (outcome,) = invitations_create(actor=owner, organization=org, emails="zoe@acme.test")
    invited = outcome.member
    assert invited is not None
    invited.first_name, invited.last_name = "Zoé", "Invitée"
    invited.save(update_fields=["first_name", "last_name"])

    deactivate(org, owner, invited)

    invitation = Invitation.objects.get(member=invited)
    # The attack: the link in the mailbox would still open the account.
    assert invitation.status == InvitationStatus.CANCELLED
