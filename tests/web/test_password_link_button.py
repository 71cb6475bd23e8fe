"""The profile's « send a password link » button (seed 004's cyclic arrows)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from equipage.emails.models import OutboundEmail
from tests.tasks import clear_cache


@pytest.fixture(autouse=True)
def _fresh_counters(db: Any) -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def test_user_admin_mails_a_password_link_from_the_profile(
    login_as: Any, user_admin: Any, member: Any
) -> None:
    client = login_as(user_admin)
    page = client.get(f"/o/acme/members/{member.pk}/").content.decode()
    assert "Send a password link" in page
    r = client.post(f"/o/acme/members/{member.pk}/password-link")
    assert r.status_code == 302 and r["Location"] == f"/o/acme/members/{member.pk}/"
    assert OutboundEmail.objects.filter(member=member, kind="set_password").count() == 1
    assert "was sent to mia.member@acme.test" in client.get(r["Location"]).content.decode()


def test_group_admin_sends_a_link_to_a_member_of_their_groups(
    login_as: Any, group_admin: Any, member: Any
) -> None:
    client = login_as(group_admin)
    assert "Send a password link" in client.get(f"/o/acme/members/{member.pk}/").content.decode()
    r = client.post(f"/o/acme/members/{member.pk}/password-link")
    assert r.status_code == 302
    assert OutboundEmail.objects.filter(member=member, kind="set_password").count() == 1


def test_group_admin_sees_no_button_and_cannot_post_outside_their_groups(
    login_as: Any, group_admin: Any, outsider: Any
) -> None:
    client = login_as(group_admin)
    page = client.get(f"/o/acme/members/{outsider.pk}/")
    assert page.status_code in (403, 404) or "Send a password link" not in page.content.decode()
    assert client.post(f"/o/acme/members/{outsider.pk}/password-link").status_code in (403, 404)
    assert not OutboundEmail.objects.filter(member=outsider, kind="set_password").exists()


def test_another_tenants_member_is_not_found(login_as: Any, admin: Any, other_member: Any) -> None:
    r = login_as(admin).post(f"/o/acme/members/{other_member.pk}/password-link")
    assert r.status_code == 404
    assert not OutboundEmail.objects.filter(member=other_member, kind="set_password").exists()
