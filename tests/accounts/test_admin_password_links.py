"""Admin-sent set-password links (#18.1): single-use, expiring, audited, throttled per member,
in bulk with reasons, within the sender's reach; a temporary password for members without
e-mail. Each success sits beside its attack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from equipage.accounts.actions import (
    member_deactivate,
    member_send_password_link,
    member_set_password,
    members_send_password_links,
)
from equipage.accounts.mail_limits import TooManyMails
from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.core.errors import NotFound, PermissionDenied, ValidationFailed
from equipage.emails.models import OutboundEmail
from tests.conftest import make_member
from tests.tasks import clear_cache

NEW = {"new_password1": "Chosen-by-me-2026", "new_password2": "Chosen-by-me-2026"}


@pytest.fixture(autouse=True)
def _fresh_counters(db: Any) -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def link_path(member: Any) -> str:
    body = OutboundEmail.objects.filter(member=member, kind="set_password").latest("id").body_text
    return "/o/acme/password/set/" + body.split("/password/set/")[1].split("/")[0] + "/"


def mails(member: Any) -> int:
    return OutboundEmail.objects.filter(member=member, kind="set_password").count()


def test_an_admin_sent_link_works_once_and_a_replay_is_refused(admin: Any, member: Any) -> None:
    member_send_password_link(actor=admin, member=member)
    path = link_path(member)
    assert Client().post(path, NEW).status_code == 302
    assert Member.objects.get(pk=member.pk).check_password(NEW["new_password1"])
    # The attack: the same link, replayed (from the mailbox, a proxy log, the history).
    again = {"new_password1": "Attacker-chose-2026", "new_password2": "Attacker-chose-2026"}
    assert Client().post(path, again).status_code == 410
    assert Member.objects.get(pk=member.pk).check_password(NEW["new_password1"])


def test_an_admin_sent_link_older_than_its_lifetime_is_refused(
    admin: Any, member: Any, frozen_clock: Any
) -> None:
    member_send_password_link(actor=admin, member=member)
    path = link_path(member)
    frozen_clock.advance(days=7, seconds=1)
    assert Client().get(path).status_code == 410
    assert Client().post(path, NEW).status_code == 410
    assert not Member.objects.get(pk=member.pk).check_password(NEW["new_password1"])


def test_sending_a_link_is_audited_with_who_sent_it(admin: Any, member: Any) -> None:
    member_send_password_link(actor=admin, member=member)
    event = AuditEvent.objects.get(event_type="member.password_link_sent")
    assert (event.actor_id, event.target_id) == (admin.pk, str(member.pk))


def test_links_to_one_member_are_throttled_whoever_sends_them(
    admin: Any, user_admin: Any, member: Any
) -> None:
    limit = settings.EQUIPAGE_PASSWORD_LINKS_PER_MEMBER
    senders = [admin, user_admin] * limit
    for sender in senders[:limit]:
        member_send_password_link(actor=sender, member=member)
    with pytest.raises(TooManyMails) as refused:
        member_send_password_link(actor=senders[limit], member=member)
    assert refused.value.status == 429
    assert f"already sent {limit} password links this hour" in str(refused.value)
    assert mails(member) == limit


def test_the_throttle_is_per_member(admin: Any, member: Any, outsider: Any) -> None:
    for _ in range(settings.EQUIPAGE_PASSWORD_LINKS_PER_MEMBER):
        member_send_password_link(actor=admin, member=member)
    member_send_password_link(actor=admin, member=outsider)
    assert mails(outsider) == 1


def test_user_admin_cannot_send_a_link_to_an_admin_above_them(user_admin: Any, admin: Any) -> None:
    with pytest.raises(PermissionDenied):
        member_send_password_link(actor=user_admin, member=admin)
    assert mails(admin) == 0


def test_group_admin_sends_links_only_within_their_groups(
    group_admin: Any, member: Any, outsider: Any
) -> None:
    member_send_password_link(actor=group_admin, member=member)
    assert mails(member) == 1
    with pytest.raises(PermissionDenied):
        member_send_password_link(actor=group_admin, member=outsider)
    assert mails(outsider) == 0


def test_another_tenants_admin_cannot_send_a_link_to_our_member(
    other_admin: Any, member: Any
) -> None:
    with pytest.raises(NotFound):
        member_send_password_link(actor=other_admin, member=member)
    assert mails(member) == 0


def test_bulk_links_go_to_those_they_apply_to_and_say_why_the_others_are_skipped(
    org: Any, owner: Any, admin: Any, member: Any, outsider: Any
) -> None:
    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    gone = make_member(org, owner, "Dee", "Parti")
    member_deactivate(actor=admin, member=gone)
    result = members_send_password_links(
        actor=admin, organization=org, members=[member, outsider, nomail, gone]
    )
    assert {m.pk for m in result.done} == {member.pk, outsider.pk}
    reasons = {item.pk: reason for item, reason in result.skipped}
    assert "no e-mail address" in reasons[nomail.pk]
    assert "Only an active account" in reasons[gone.pk]
    assert (mails(member), mails(outsider), mails(nomail), mails(gone)) == (1, 1, 0, 0)
    sent = AuditEvent.objects.filter(event_type="member.password_link_sent")
    assert {e.target_id for e in sent} == {str(member.pk), str(outsider.pk)}
    assert {e.actor_id for e in sent} == {admin.pk}
    # Each bulk link is single-use too.
    path = link_path(member)
    assert Client().post(path, NEW).status_code == 302
    assert Client().post(path, NEW).status_code == 410


def test_bulk_links_skip_members_outside_a_group_admins_reach(
    org: Any, group_admin: Any, member: Any, outsider: Any
) -> None:
    result = members_send_password_links(
        actor=group_admin, organization=org, members=[member, outsider]
    )
    assert [m.pk for m in result.done] == [member.pk]
    assert [(i.pk, k) for (i, _r), k in zip(result.skipped, result.kinds, strict=True)] == [
        (outsider.pk, "forbidden")
    ]
    assert mails(outsider) == 0


def test_bulk_links_ignore_another_tenants_ids(
    org: Any, admin: Any, member: Any, other_member: Any
) -> None:
    result = members_send_password_links(
        actor=admin, organization=org, members=[member.pk, other_member.pk]
    )
    assert [m.pk for m in result.done] == [member.pk]
    assert mails(other_member) == 0


def test_bulk_links_count_against_the_same_throttle(org: Any, admin: Any, member: Any) -> None:
    for _ in range(settings.EQUIPAGE_PASSWORD_LINKS_PER_MEMBER):
        member_send_password_link(actor=admin, member=member)
    result = members_send_password_links(actor=admin, organization=org, members=[member])
    assert result.done == []
    assert "password links this hour" in result.skipped[0][1]


def test_a_member_without_email_gets_a_temporary_password_to_change_at_first_login(
    org: Any, owner: Any, admin: Any
) -> None:
    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    with pytest.raises(ValidationFailed) as no_link:
        member_send_password_link(actor=admin, member=nomail)
    assert "temporary password" in str(no_link.value)
    member_set_password(actor=admin, member=nomail, password="Given-by-admin-26")
    fresh = Member.objects.get(pk=nomail.pk)
    assert fresh.check_password("Given-by-admin-26") and fresh.must_change_password
    assert AuditEvent.objects.filter(
        event_type="member.password_set", target_id=str(nomail.pk), actor=admin
    ).exists()


def test_an_admin_cannot_give_themselves_a_password_without_their_old_one(admin: Any) -> None:
    with pytest.raises(PermissionDenied):
        member_set_password(actor=admin, member=admin, password="Skipped-old-one-26")
    assert not Member.objects.get(pk=admin.pk).check_password("Skipped-old-one-26")


def test_a_temporary_password_follows_the_organizations_policy(
    org: Any, owner: Any, admin: Any
) -> None:
    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    for weak, rule in (("Elevenchars", "at least 12 characters"), ("password123", "too common")):
        with pytest.raises(ValidationFailed) as refused:
            member_set_password(actor=admin, member=nomail, password=weak)
        assert rule in str(refused.value)
