"""Verified e-mail changes (issue #18.3): a member's own new address counts once it answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from equipage.accounts.actions import member_update
from equipage.accounts.models import EmailChange, Member
from equipage.emails.models import OutboundEmail

pytestmark = pytest.mark.django_db

BACKEND = "equipage.accounts.backends.MemberBackend"
LINK = re.compile(r"http\S*/o/(\w+)/email/confirm/([\w-]+)/")


@pytest.fixture
def may_edit_contact(org: Any, owner: Any) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(actor=owner, organization=org, members_can_edit_contact=True)


def _client(member: Any) -> Client:
    client = Client()
    client.force_login(member, backend=BACKEND)
    client.cookies["django_language"] = "en"
    return client


def _mails(to: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to=to).order_by("id"))


def _link(to: str) -> str:
    found = LINK.search(_mails(to)[-1].body_text)
    assert found, _mails(to)[-1].body_text
    return found.group(0).split("/o/", 1)[1]


def _ask(client: Client, email: str) -> Any:
    return client.post("/o/acme/me/", {"form": "contact", "email": email, "phone": ""}, follow=True)


def test_a_member_changing_their_address_waits_for_the_new_mailbox_and_the_old_one_is_told(
    may_edit_contact: None, member: Any, audit_events: Any
) -> None:
    old = member.email
    page = _ask(_client(member), "mia.new@example.test").content.decode()
    member.refresh_from_db()
    assert member.email == old  # nothing changed yet
    assert "A confirmation link was sent to mia.new@example.test" in page
    assert "Waiting for confirmation: mia.new@example.test" in page
    [confirm] = _mails("mia.new@example.test")
    assert confirm.kind == "email_change_confirm" and "expires in 24 hours" in confirm.body_text
    [notice] = _mails(old)
    assert notice.kind == "email_change_requested"
    assert "to mia.new@example.test was requested" in notice.body_text
    assert "If it was not you" in notice.body_text
    assert audit_events()[0] == "member.email_change_requested"
    # Only the hash of the link's token is stored.
    token = _link("mia.new@example.test").split("/")[-2]
    assert not EmailChange.objects.filter(token_hash=token).exists()


def test_the_link_shows_a_button_and_only_its_post_changes_the_address(
    may_edit_contact: None, member: Any, audit_events: Any
) -> None:
    _ask(_client(member), "mia.new@example.test")
    url = "/o/" + _link("mia.new@example.test")
    anonymous = Client()
    shown = anonymous.get(url)  # a mail scanner opening the link uses nothing up
    assert shown.status_code == 200 and "mia.new@example.test" in shown.content.decode()
    member.refresh_from_db()
    assert member.email != "mia.new@example.test"
    done = anonymous.post(url)
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.email == "mia.new@example.test"
    assert audit_events()[0] == "member.email_change_confirmed"
    assert not EmailChange.objects.filter(member=member).exists()


def test_a_replayed_confirmation_link_is_refused(may_edit_contact: None, member: Any) -> None:
    _ask(_client(member), "mia.new@example.test")
    url = "/o/" + _link("mia.new@example.test")
    assert Client().post(url).status_code == 302
    assert Client().post(url).status_code == 410
    assert Client().get(url).status_code == 410


def test_a_link_from_an_older_request_dies_when_a_newer_one_is_made(
    may_edit_contact: None, member: Any
) -> None:
    client = _client(member)
    _ask(client, "first@example.test")
    older = "/o/" + _link("first@example.test")
    _ask(client, "second@example.test")
    assert Client().post(older).status_code == 410
    member.refresh_from_db()
    assert member.email != "first@example.test"
    assert Client().post("/o/" + _link("second@example.test")).status_code == 302
    member.refresh_from_db()
    assert member.email == "second@example.test"


def test_an_expired_link_is_refused(may_edit_contact: None, member: Any, frozen_clock: Any) -> None:
    _ask(_client(member), "mia.new@example.test")
    url = "/o/" + _link("mia.new@example.test")
    frozen_clock.advance(hours=24, seconds=1)
    assert Client().post(url).status_code == 410
    from equipage.accounts.housekeeping import purge_expired_email_changes

    assert purge_expired_email_changes() == 1  # the new address is kept no longer


def test_asking_for_a_taken_address_answers_exactly_as_for_a_free_one(
    may_edit_contact: None, org: Any, owner: Any, member: Any, outsider: Any
) -> None:
    """Enumeration: the page, the pending change and the mails queued look the same."""
    taken = outsider.email
    free = "nobody.yet@acme.test"
    client = _client(member)

    def ask(email: str) -> tuple[int, str, int]:
        before = OutboundEmail.objects.count()
        response = _ask(client, email)
        body = response.content.decode()
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
        return (
            response.status_code,
            body.replace(email, "ADDRESS"),
            OutboundEmail.objects.count() - before,
        )

    assert ask(free) == ask(taken)
    member.refresh_from_db()
    assert member.email != taken
    # Only the mailbox's owner reads that the address is taken; no link reaches it.
    mail = _mails(taken)[-1]
    assert mail.kind == "email_in_use" and "/email/confirm/" not in mail.body_text
    assert mail.member_id is None  # nothing ties it to the requester's mail list


def test_confirming_an_address_taken_meanwhile_changes_nothing(
    may_edit_contact: None, org: Any, admin: Any, member: Any, outsider: Any
) -> None:
    _ask(_client(member), "wanted@example.test")
    url = "/o/" + _link("wanted@example.test")
    member_update(actor=admin, member=outsider, email="wanted@example.test")
    response = Client().post(url)
    assert response.status_code == 409
    assert "already uses" in response.content.decode()
    member.refresh_from_db()
    assert member.email != "wanted@example.test"


def test_a_deactivated_member_cannot_confirm_their_new_address(
    may_edit_contact: None, admin: Any, member: Any
) -> None:
    from equipage.accounts.actions import member_deactivate

    _ask(_client(member), "mia.new@example.test")
    url = "/o/" + _link("mia.new@example.test")
    member_deactivate(actor=admin, member=member)
    assert Client().post(url).status_code == 409
    member.refresh_from_db()
    assert member.email != "mia.new@example.test"


def test_a_member_moved_to_the_bin_loses_their_pending_change_and_its_link(
    may_edit_contact: None, admin: Any, member: Any
) -> None:
    from equipage.accounts.actions import member_delete, member_restore

    _ask(_client(member), "mia.new@example.test")
    url = "/o/" + _link("mia.new@example.test")
    member_delete(actor=admin, member=member)
    assert not EmailChange.objects.filter(member=member).exists()
    assert Client().post(url).status_code == 410
    member_restore(actor=admin, member=member)  # back from the bin: the old link stays dead
    assert Client().post(url).status_code == 410
    member.refresh_from_db()
    assert member.email != "mia.new@example.test"


def test_another_organizations_slug_does_not_open_the_link(
    may_edit_contact: None, member: Any, other_org: Any
) -> None:
    _ask(_client(member), "mia.new@example.test")
    token = _link("mia.new@example.test").split("/", 1)[1]
    assert Client().post(f"/o/globex/{token}").status_code == 410


def test_the_member_cancels_a_pending_change_and_its_link_dies(
    may_edit_contact: None, member: Any, audit_events: Any
) -> None:
    client = _client(member)
    _ask(client, "mia.new@example.test")
    url = "/o/" + _link("mia.new@example.test")
    page = client.post("/o/acme/me/email/cancel", follow=True).content.decode()
    assert "Waiting for confirmation" not in page
    assert audit_events()[0] == "member.email_change_cancelled"
    assert Client().post(url).status_code == 410


def test_another_member_cannot_cancel_or_request_a_change_for_someone_else(
    may_edit_contact: None, member: Any, outsider: Any
) -> None:
    from equipage.accounts.actions.emailchange import email_change_cancel, email_change_request
    from equipage.core.errors import PermissionDenied

    _ask(_client(member), "mia.new@example.test")
    with pytest.raises(PermissionDenied):
        email_change_cancel(actor=outsider, member=member)
    with pytest.raises(PermissionDenied):
        email_change_request(actor=outsider, member=member, new_email="x@example.test")
    assert EmailChange.objects.get(member=member).new_email == "mia.new@example.test"


def test_an_admins_change_applies_at_once_and_tells_the_old_address(
    may_edit_contact: None, admin: Any, member: Any
) -> None:
    old = member.email
    _ask(_client(member), "mia.pending@example.test")
    member_update(actor=admin, member=member, email="mia.admin@example.test")
    member.refresh_from_db()
    assert member.email == "mia.admin@example.test"
    notice = _mails(old)[-1]
    assert notice.kind == "email_changed" and "mia.admin@example.test" in notice.body_text
    # The member's own pending request is void: the admin's address stands.
    assert not EmailChange.objects.filter(member=member).exists()


def test_an_api_change_by_an_admin_token_applies_at_once_and_tells_the_old_address(
    org: Any, admin: Any, member: Any
) -> None:
    from equipage.tokens.actions import token_create

    raw = token_create(actor=admin, organization=org, name="hr", scopes=["api"]).raw
    old = member.email
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    etag = client.get(f"/api/v1/members/{member.pk}", **auth)["ETag"]
    response = client.patch(
        f"/api/v1/members/{member.pk}",
        data={"email": "mia.api@example.test"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **auth,
    )
    assert response.status_code == 200, response.content
    assert _mails(old)[-1].kind == "email_changed"


def test_an_identity_provider_rename_applies_at_once_without_a_notice(
    org: Any, owner: Any, member: Any
) -> None:
    """SCIM renames addresses in bulk (a domain move): no mail to each old address."""
    import json

    from equipage.tokens.actions import token_create

    raw = token_create(actor=owner, organization=org, name="idp", scopes=["scim"]).raw
    old = member.email
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "value": {"emails": [{"value": "mia@new.test", "primary": True}]}}
        ],
    }
    response = Client().generic(
        "PATCH",
        f"/scim/v2/Users/{member.pk}",
        json.dumps(patch),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code in (200, 204), response.content
    member.refresh_from_db()
    assert member.email == "mia@new.test"
    assert not [m for m in _mails(old) if m.kind == "email_changed"]


def test_the_mails_are_written_in_the_members_language(may_edit_contact: None, member: Any) -> None:
    Member.objects.filter(pk=member.pk).update(language="fr")
    member.refresh_from_db()
    old = member.email
    _ask(_client(member), "mia.new@example.test")
    assert "Confirmez" in _mails("mia.new@example.test")[-1].subject
    assert "Si ce n’était pas vous" in _mails(old)[-1].body_text


def test_removing_ones_own_address_is_left_to_an_administrator(
    may_edit_contact: None, member: Any
) -> None:
    from equipage.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        member_update(actor=member, member=member, email="")
