"""Invitation actions: invite, resend, revoke, cancel, accept, expire (seeds 001–003)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from equipage.accounts.models import Member, MemberRole, MemberState
from equipage.core.errors import NotFound, PermissionDenied, ValidationFailed
from equipage.emails.models import MailKind, OutboundEmail
from equipage.invitations.actions import (
    InvitationLinkError,
    InviteStatus,
    WayForward,
    expire_invitations,
    invitation_accept,
    invitation_cancel,
    invitations_create,
    invitations_resend,
    invitations_revoke,
    members_invite,
    split_addresses,
)
from equipage.invitations.guide import Guide
from equipage.invitations.models import Invitation, InvitationStatus
from equipage.organizations.selectors import seat_usage

PASSWORD = "Correct-horse-42"


def _raw_token(email: str) -> str:
    """Return the raw token of the newest invitation mail to ``email`` (from the outbox)."""
    row = OutboundEmail.objects.filter(to=email, kind=MailKind.INVITATION).order_by("-id").first()
    assert row is not None
    return row.body_text.split("/join/")[1].split("/")[0]


def _guide(member: Member) -> str:
    from equipage.directory.listing import member_facts

    member.refresh_from_db()
    return member_facts([member])[0]["guide"]


def test_split_addresses_accepts_commas_semicolons_spaces_and_new_lines() -> None:
    assert split_addresses("a@x.fr; b@x.fr,c@x.fr\nd@x.fr  e@x.fr;A@X.FR") == [
        "a@x.fr",
        "b@x.fr",
        "c@x.fr",
        "d@x.fr",
        "e@x.fr",
    ]


def test_admin_invites_several_addresses_each_answered_on_its_own(
    org: Any, admin: Any, member: Any, audit_events: Any
) -> None:
    outcomes = invitations_create(
        actor=admin,
        organization=org,
        emails=f"alice@acme.test; bob@acme.test, not-an-address {member.email}",
    )
    assert [o.status for o in outcomes] == [
        InviteStatus.INVITED,
        InviteStatus.INVITED,
        InviteStatus.INVALID,
        InviteStatus.ALREADY_ACTIVE,
    ]
    assert outcomes[3].way_forward == WayForward.ADD_TO_GROUP
    alice = Member.objects.get(organization=org, email="alice@acme.test")
    assert alice.state == MemberState.INVITED
    assert _guide(alice) == Guide.WAIT
    assert OutboundEmail.objects.filter(kind=MailKind.INVITATION, to="alice@acme.test").count() == 1
    assert "invitation.sent" in audit_events(member=alice)
    assert "member.created" in audit_events(member=alice)
    assert seat_usage(org).pending_invitations == 2


def test_inviting_an_already_invited_address_answers_already_invited(org: Any, admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    again = invitations_create(actor=admin, organization=org, emails="ALICE@acme.test")
    assert again[0].status == InviteStatus.ALREADY_INVITED
    assert Invitation.objects.filter(email__iexact="alice@acme.test").count() == 1


def test_inviting_a_deactivated_member_offers_reactivation(
    org: Any, admin: Any, member: Any
) -> None:
    from equipage.accounts.actions import member_deactivate

    member_deactivate(actor=admin, member=member)
    outcome = invitations_create(actor=admin, organization=org, emails=member.email)[0]
    assert outcome.status == InviteStatus.DEACTIVATED
    assert outcome.way_forward == WayForward.REACTIVATE


def test_plain_member_cannot_invite(org: Any, member: Any) -> None:
    with pytest.raises(PermissionDenied):
        invitations_create(actor=member, organization=org, emails="x@acme.test")


def test_admin_of_another_organization_cannot_invite_here(org: Any, other_admin: Any) -> None:
    with pytest.raises(NotFound):
        invitations_create(actor=other_admin, organization=org, emails="x@acme.test")


def test_user_admin_cannot_invite_with_a_role_above_their_own(org: Any, user_admin: Any) -> None:
    with pytest.raises(PermissionDenied):
        invitations_create(
            actor=user_admin, organization=org, emails="x@acme.test", roles=["admin"]
        )


def test_group_admin_invites_only_into_their_groups(
    org: Any, group_admin: Any, groups: Any
) -> None:
    with pytest.raises(PermissionDenied):
        invitations_create(
            actor=group_admin,
            organization=org,
            emails="x@acme.test",
            group_ids=[groups["atelier"].pk],
        )
    outcome = invitations_create(
        actor=group_admin, organization=org, emails="x@acme.test", group_ids=[groups["nord"].pk]
    )[0]
    assert outcome.status == InviteStatus.INVITED
    names = set(outcome.member.group_memberships.values_list("group__name", flat=True))
    assert "Ventes Nord" in names


def test_seats_count_pending_invitations_and_refuse_beyond(
    org: Any, owner: Any, admin: Any
) -> None:
    org.seats = 3  # owner + admin active: one seat left
    org.save(update_fields=["seats"])
    outcomes = invitations_create(actor=admin, organization=org, emails="a@acme.test b@acme.test")
    assert [o.status for o in outcomes] == [InviteStatus.INVITED, InviteStatus.REFUSED]
    assert "3" in outcomes[1].message


def test_daily_invitation_limit_refuses_the_addresses_beyond(org: Any, admin: Any) -> None:
    org.daily_invitation_limit = 2
    org.save(update_fields=["daily_invitation_limit"])
    outcomes = invitations_create(
        actor=admin, organization=org, emails="a@acme.test b@acme.test c@acme.test"
    )
    assert [o.status for o in outcomes] == [
        InviteStatus.INVITED,
        InviteStatus.INVITED,
        InviteStatus.REFUSED,
    ]
    assert not Member.objects.filter(email="c@acme.test").exists()


def test_accepting_activates_the_account_with_names_password_and_roles(
    org: Any, admin: Any, audit_events: Any
) -> None:
    invitations_create(
        actor=admin, organization=org, emails="alice@acme.test", roles=["user_admin"]
    )
    member = invitation_accept(
        organization=org,
        raw_token=_raw_token("alice@acme.test"),
        first_name="Alice",
        last_name="Martin",
        password=PASSWORD,
    )
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE
    assert member.check_password(PASSWORD)
    assert member.full_name == "Alice Martin"
    assert set(MemberRole.objects.filter(member=member).values_list("role", flat=True)) == {
        "member",
        "user_admin",
    }
    assert _guide(member) == Guide.OK
    assert {"invitation.accepted", "member.activated"} <= set(audit_events(member=member))
    assert seat_usage(org).pending_invitations == 0


def test_invitation_link_works_only_once(org: Any, admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    raw = _raw_token("alice@acme.test")
    invitation_accept(
        organization=org, raw_token=raw, first_name="A", last_name="M", password=PASSWORD
    )
    with pytest.raises(InvitationLinkError) as err:
        invitation_accept(
            organization=org, raw_token=raw, first_name="B", last_name="N", password=PASSWORD
        )
    assert err.value.code == "used"
    assert Member.objects.filter(email="alice@acme.test").count() == 1


def test_invitation_is_accepted_only_in_its_own_organization(
    org: Any, other_org: Any, admin: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    with pytest.raises(InvitationLinkError) as err:
        invitation_accept(
            organization=other_org,
            raw_token=_raw_token("alice@acme.test"),
            first_name="A",
            last_name="M",
            password=PASSWORD,
        )
    assert err.value.code == "invalid"


def test_tampered_token_is_refused(org: Any, admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    with pytest.raises(InvitationLinkError) as err:
        invitation_accept(
            organization=org,
            raw_token=_raw_token("alice@acme.test")[:-2] + "xx",
            first_name="A",
            last_name="M",
            password=PASSWORD,
        )
    assert err.value.code == "invalid"


def test_token_is_stored_hashed_with_at_least_128_bits(org: Any, admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    raw = _raw_token("alice@acme.test")
    inv = Invitation.objects.get(email="alice@acme.test")
    assert len(raw) >= 22  # 128 bits in URL-safe base64
    assert raw not in inv.token_hash and len(inv.token_hash) == 64


def test_expired_invitation_reads_resend_and_cannot_be_accepted(
    org: Any, admin: Any, frozen_clock: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    alice = Member.objects.get(email="alice@acme.test")
    frozen_clock.advance(days=org.invitation_lifetime_days, seconds=1)
    assert _guide(alice) == Guide.RESEND
    with pytest.raises(InvitationLinkError) as err:
        invitation_accept(
            organization=org,
            raw_token=_raw_token("alice@acme.test"),
            first_name="A",
            last_name="M",
            password=PASSWORD,
        )
    assert err.value.code == "expired"
    assert seat_usage(org).pending_invitations == 0


def test_resend_kills_the_old_token_and_the_new_one_works(
    org: Any, admin: Any, frozen_clock: Any, audit_events: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    alice = Member.objects.get(email="alice@acme.test")
    old = _raw_token("alice@acme.test")
    frozen_clock.advance(days=8)
    result = invitations_resend(actor=admin, organization=org, members=[alice])
    assert result.done == [alice]
    assert _guide(alice) == Guide.WAIT
    new = _raw_token("alice@acme.test")
    assert new != old
    with pytest.raises(InvitationLinkError):
        invitation_accept(
            organization=org, raw_token=old, first_name="A", last_name="M", password=PASSWORD
        )
    invitation_accept(
        organization=org, raw_token=new, first_name="A", last_name="M", password=PASSWORD
    )
    assert "invitation.resent" in audit_events(member=alice)


def test_resend_by_another_tenant_changes_nothing(
    org: Any, admin: Any, other_admin: Any, other_org: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    alice = Member.objects.get(email="alice@acme.test")
    result = invitations_resend(actor=other_admin, organization=other_org, members=[alice])
    assert result.done == []
    assert Invitation.objects.filter(member=alice).count() == 1


def test_revoke_keeps_the_member_listed_with_guide_invite(
    org: Any, admin: Any, audit_events: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    alice = Member.objects.get(email="alice@acme.test")
    raw = _raw_token("alice@acme.test")
    result = invitations_revoke(actor=admin, organization=org, members=[alice])
    assert result.done == [alice]
    alice.refresh_from_db()
    assert alice.state == MemberState.CREATED
    assert _guide(alice) == Guide.INVITE
    with pytest.raises(InvitationLinkError) as err:
        invitation_accept(
            organization=org, raw_token=raw, first_name="A", last_name="M", password=PASSWORD
        )
    assert err.value.code == "cancelled"
    assert "invitation.revoked" in audit_events(member=alice)
    # They may be invited again (seed 001).
    again = members_invite(actor=admin, organization=org, members=[alice])
    assert again.done == [alice]
    assert _guide(alice) == Guide.WAIT


def test_member_cannot_revoke_invitations(org: Any, admin: Any, member: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    with pytest.raises(PermissionDenied):
        invitations_revoke(actor=member, organization=org, members=[])


def test_members_invite_sends_first_invitation_to_created_members(
    org: Any, admin: Any, owner: Any
) -> None:
    from equipage.accounts.actions import member_create

    created = member_create(
        actor=owner,
        organization=org,
        first_name="Carl",
        last_name="Created",
        email="carl@acme.test",
        state=MemberState.CREATED,
    )
    no_mail = member_create(
        actor=owner,
        organization=org,
        first_name="Nina",
        last_name="Nomail",
        state=MemberState.CREATED,
    )
    result = members_invite(actor=admin, organization=org, members=[created, no_mail])
    assert result.done == [created]
    assert result.skipped[0][0] == no_mail
    assert _guide(created) == Guide.WAIT


def test_members_invite_in_another_tenant_does_nothing(
    org: Any, other_admin: Any, other_org: Any, owner: Any
) -> None:
    from equipage.accounts.actions import member_create

    created = member_create(
        actor=owner,
        organization=org,
        first_name="C",
        last_name="C",
        email="c@acme.test",
        state=MemberState.CREATED,
    )
    assert members_invite(actor=other_admin, organization=other_org, members=[created]).done == []


def test_cancel_from_the_list_frees_the_seat(org: Any, admin: Any, audit_events: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    inv = Invitation.objects.get(email="alice@acme.test")
    invitation_cancel(actor=admin, invitation=inv)
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.CANCELLED
    assert seat_usage(org).pending_invitations == 0
    assert "invitation.cancelled" in audit_events()


def test_member_cannot_cancel_an_invitation(org: Any, admin: Any, member: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    with pytest.raises(PermissionDenied):
        invitation_cancel(actor=member, invitation=Invitation.objects.get(email="alice@acme.test"))


def test_other_tenant_cannot_cancel_an_invitation(org: Any, admin: Any, other_admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    with pytest.raises(NotFound):
        invitation_cancel(
            actor=other_admin, invitation=Invitation.objects.get(email="alice@acme.test")
        )


def test_invitation_grants_no_more_than_the_inviter_holds_at_acceptance(
    org: Any, owner: Any, admin: Any, audit_events: Any
) -> None:
    from equipage.accounts.actions import member_set_roles

    invitations_create(actor=admin, organization=org, emails="alice@acme.test", roles=["admin"])
    member_set_roles(actor=owner, member=admin, roles=["user_admin"])
    alice = invitation_accept(
        organization=org,
        raw_token=_raw_token("alice@acme.test"),
        first_name="A",
        last_name="M",
        password=PASSWORD,
    )
    roles = set(MemberRole.objects.filter(member=alice).values_list("role", flat=True))
    assert roles == {"member"}


def test_accept_requires_names_and_a_valid_password(org: Any, admin: Any) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    raw = _raw_token("alice@acme.test")
    with pytest.raises(ValidationFailed):
        invitation_accept(
            organization=org, raw_token=raw, first_name="", last_name="M", password=PASSWORD
        )
    with pytest.raises(ValidationFailed):
        invitation_accept(
            organization=org, raw_token=raw, first_name="A", last_name="M", password="short"
        )
    assert Member.objects.get(email="alice@acme.test").state == MemberState.INVITED


def test_expiry_is_announced_once(
    org: Any, admin: Any, frozen_clock: Any, audit_events: Any
) -> None:
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    assert expire_invitations() == 0
    frozen_clock.advance(days=8)
    assert expire_invitations() == 1
    assert expire_invitations() == 0
    assert audit_events().count("invitation.expired") == 1


def test_invitation_mail_is_in_the_member_language_and_names_cannot_inject_headers(
    org: Any, owner: Any
) -> None:
    from equipage.accounts.actions import member_update
    from equipage.accounts.models import Member
    from equipage.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):  # the actions refuse line breaks in a name...
        member_update(actor=owner, member=owner, first_name="Eve\r\nBcc: evil@x.test")
    # ...and a name stored before that rule still cannot inject a header.
    Member.objects.filter(pk=owner.pk).update(first_name="Eve\r\nBcc: evil@x.test")
    invitations_create(actor=owner, organization=org, emails="alice@acme.test", language="fr")
    row = OutboundEmail.objects.get(to="alice@acme.test")
    assert row.language == "fr"
    assert "invit" in row.subject.lower()
    assert "\n" not in row.subject
    assert mail.outbox == []  # queued, not sent inline


def test_french_organization_gets_the_invitation_in_french(org: Any, admin: Any) -> None:
    org.language = "fr"
    org.save(update_fields=["language"])
    invitations_create(actor=admin, organization=org, emails="alice@acme.test")
    row = OutboundEmail.objects.get(to="alice@acme.test")
    assert row.language == "fr"
    assert row.subject == "Vous êtes invité à rejoindre Acme"
    assert "Acceptez l'invitation" in row.body_text and "&#x27;" not in row.body_text


def test_guide_labels_read_in_french() -> None:
    from django.utils import translation

    with translation.override("fr"):
        assert str(Guide.RESEND.label) == "Renvoyer l'invitation"
        assert str(Guide.WAIT.label) == "Attendre"
        assert str(Guide.INVITE.label) == "Inviter"
