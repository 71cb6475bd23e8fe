"""The contact line of a profile edited in place (seed 004), through member_update."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

NEW = {"email": "mia.new@acme.test", "phone": "+33 6 12 34 56 78", "job_title": "Vendeuse"}


def test_an_admin_edits_the_contact_line_in_place(login_as: Any, admin: Any, member: Any) -> None:
    client = login_as(admin)
    page = client.get(f"/o/acme/members/{member.pk}/").content.decode()
    assert "data-inline-edit" in page and "data-close-details" in page
    response = client.post(f"/o/acme/members/{member.pk}/contact", NEW, follow=True)
    member.refresh_from_db()
    assert (member.email, member.phone, member.job_title) == tuple(NEW.values())
    assert "Contact details saved." in response.content.decode()


def test_a_user_admin_cannot_edit_an_admin_who_outranks_them(
    login_as: Any, user_admin: Any, admin: Any
) -> None:
    before = admin.email
    login_as(user_admin).post(f"/o/acme/members/{admin.pk}/contact", NEW)
    admin.refresh_from_db()
    assert admin.email == before


def test_a_user_admin_edits_their_own_contact_line(
    login_as: Any, user_admin: Any, org: Any
) -> None:
    # A user admin may edit members who do not outrank them, themselves included.
    login_as(user_admin).post(f"/o/acme/members/{user_admin.pk}/contact", NEW)
    user_admin.refresh_from_db()
    assert user_admin.job_title == "Vendeuse"


def test_another_organizations_member_is_not_found(
    login_as: Any, admin: Any, other_member: Any
) -> None:
    before = other_member.email
    response = login_as(admin).post(f"/o/acme/members/{other_member.pk}/contact", NEW)
    assert response.status_code == 404
    other_member.refresh_from_db()
    assert other_member.email == before


def test_a_malformed_address_is_refused_and_nothing_changes(
    login_as: Any, admin: Any, member: Any
) -> None:
    before = member.email
    response = login_as(admin).post(
        f"/o/acme/members/{member.pk}/contact", {**NEW, "email": "not-an-address"}, follow=True
    )
    member.refresh_from_db()
    assert member.email == before
    assert "Contact details saved." not in response.content.decode()
