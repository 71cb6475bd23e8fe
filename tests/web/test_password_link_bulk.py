"""« Envoyer un lien de mot de passe » in the directory's bulk panel and the admin-set
temporary password on the profile of a member without e-mail (#18.1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from equipage.accounts.models import Member
from equipage.emails.models import OutboundEmail
from tests.conftest import make_member
from tests.tasks import clear_cache


@pytest.fixture(autouse=True)
def _fresh_counters(db: Any) -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def sent(*members: Any) -> list[int]:
    return [OutboundEmail.objects.filter(member=m, kind="set_password").count() for m in members]


def test_the_bulk_button_applies_only_to_active_members_with_an_address(
    login_as: Any, org: Any, owner: Any, admin: Any, member: Any
) -> None:
    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    page = login_as(admin).get("/o/acme/members").content.decode()
    assert 'value="password_link" data-action="password_link"' in page
    row_of = {
        m.pk: page.split(f'name="ids" value="{m.pk}"')[1].split(">")[0] for m in (member, nomail)
    }
    assert "password_link" in row_of[member.pk]
    assert "password_link" not in row_of[nomail.pk]


def test_bulk_links_are_sent_and_the_skipped_named_with_their_reason(
    login_as: Any, org: Any, owner: Any, admin: Any, member: Any, outsider: Any
) -> None:
    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    r = login_as(admin).post(
        "/o/acme/members/bulk",
        {"action": "password_link", "ids": [member.pk, outsider.pk, nomail.pk]},
        follow=True,
    )
    body = r.content.decode()
    assert "2 password links sent" in body
    assert "no e-mail address to send to" in body
    assert sent(member, outsider, nomail) == [1, 1, 0]


def test_a_group_admins_bulk_reaches_only_their_groups(
    login_as: Any, group_admin: Any, member: Any, outsider: Any
) -> None:
    # The outsider is not visible to the group admin: the selection drops them.
    login_as(group_admin).post(
        "/o/acme/members/bulk",
        {"action": "password_link", "ids": [member.pk, outsider.pk], "confirmed": "1"},
    )
    assert sent(member, outsider) == [1, 0]


def test_a_bulk_selection_with_another_tenants_ids_leaves_them_alone(
    login_as: Any, admin: Any, member: Any, other_member: Any
) -> None:
    login_as(admin).post(
        "/o/acme/members/bulk", {"action": "password_link", "ids": [member.pk, other_member.pk]}
    )
    assert sent(member, other_member) == [1, 0]


def test_a_member_without_email_gets_a_temporary_password_from_the_profile(
    login_as: Any, org: Any, owner: Any, admin: Any
) -> None:
    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    client = login_as(admin)
    profile = client.get(f"/o/acme/members/{nomail.pk}/").content.decode()
    assert "Set a temporary password" in profile and "At least 12 characters" in profile
    r = client.post(
        f"/o/acme/members/{nomail.pk}/temporary-password", {"password": "Given-by-admin-26"}
    )
    assert r.status_code == 302
    told = client.get(r["Location"]).content.decode()
    assert "they must choose their own password at their first login" in told
    fresh = Member.objects.get(pk=nomail.pk)
    assert fresh.check_password("Given-by-admin-26") and fresh.must_change_password


def test_a_temporary_password_of_eleven_characters_is_refused_with_the_rule(
    login_as: Any, org: Any, owner: Any, admin: Any
) -> None:
    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    client = login_as(admin)
    r = client.post(f"/o/acme/members/{nomail.pk}/temporary-password", {"password": "Elevenchars"})
    assert "at least 12 characters" in client.get(r["Location"]).content.decode()
    assert not Member.objects.get(pk=nomail.pk).check_password("Elevenchars")


def test_a_group_admin_cannot_set_a_temporary_password(
    login_as: Any, org: Any, owner: Any, group_admin: Any, groups: dict[str, Any]
) -> None:
    nomail = make_member(org, owner, "Sans", "Adresse", email="", groups=[groups["nord"]])
    client = login_as(group_admin)
    assert (
        "Set a temporary password"
        not in client.get(f"/o/acme/members/{nomail.pk}/").content.decode()
    )
    r = client.post(
        f"/o/acme/members/{nomail.pk}/temporary-password", {"password": "Given-by-ga-2026"}
    )
    assert r.status_code in (403, 404)
    assert not Member.objects.get(pk=nomail.pk).check_password("Given-by-ga-2026")


def test_a_temporary_password_for_another_tenants_member_is_not_found(
    login_as: Any, admin: Any, other_member: Any
) -> None:
    r = login_as(admin).post(
        f"/o/acme/members/{other_member.pk}/temporary-password", {"password": "Given-by-x-2026"}
    )
    assert r.status_code == 404
    assert not Member.objects.get(pk=other_member.pk).check_password("Given-by-x-2026")
