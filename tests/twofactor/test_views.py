"""The console's pages: set-up, profile section, an admin's reset, the settings section."""

from __future__ import annotations

import re
from typing import Any

import pyotp

from equipage.core import clock
from equipage.twofactor.selectors import is_enrolled


def test_member_sets_up_from_the_qr_page_and_sees_the_codes_once(
    member: Any, login_as: Any, frozen_clock: Any
) -> None:
    client = login_as(member)
    page = client.get("/o/acme/me/two-factor/")
    assert page.status_code == 200 and b"<svg" in page.content
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    secret = re.search(rb"<code>([A-Z2-7]{32})</code>", page.content)[1].decode()  # type: ignore[index]
    done = client.post(
        "/o/acme/me/two-factor/", {"op": "confirm", "code": pyotp.TOTP(secret).at(clock.now())}
    )
    assert done.status_code == 200 and is_enrolled(member)
    assert len(re.findall(rb"<li><code>[a-z2-9]{5}-[a-z2-9]{5}</code></li>", done.content)) == 10
    again = client.get("/o/acme/me/two-factor/")
    assert b"10 recovery codes left" in again.content and b"<svg" not in again.content
    assert not re.search(rb"<code>[a-z2-9]{5}-[a-z2-9]{5}", again.content)


def test_wrong_first_code_leaves_the_second_factor_off(member: Any, login_as: Any) -> None:
    client = login_as(member)
    client.get("/o/acme/me/two-factor/")
    refused = client.post("/o/acme/me/two-factor/", {"op": "confirm", "code": "000000"})
    assert refused.status_code == 400 and not is_enrolled(member)


def test_member_renews_codes_and_turns_it_off_from_the_page(
    member: Any, enrol: Any, login_as: Any
) -> None:
    enrolled = enrol(member)
    client = login_as(member)
    renewed = client.post("/o/acme/me/two-factor/", {"op": "renew", "code": enrolled.code()})
    assert renewed.status_code == 200 and b"Your recovery codes" in renewed.content
    off = client.post("/o/acme/me/two-factor/", {"op": "off", "code": enrolled.code(1)})
    assert off.status_code == 302 and not is_enrolled(member)


def test_profile_shows_the_status_and_the_reset_button_to_an_admin(
    admin: Any, member: Any, enrol: Any, login_as: Any
) -> None:
    enrol(member)
    page = login_as(admin).get(f"/o/acme/members/{member.pk}/")
    assert b"Two-factor authentication" in page.content
    assert f"/members/{member.pk}/two-factor/reset".encode() in page.content
    own = login_as(member).get("/o/acme/me/")
    assert (
        b"Manage two-factor authentication" in own.content
        and b"two-factor/reset" not in own.content
    )


def test_admin_resets_from_the_profile(
    admin: Any, member: Any, enrol: Any, login_as: Any, audit_events: Any
) -> None:
    enrol(member)
    response = login_as(admin).post(f"/o/acme/members/{member.pk}/two-factor/reset")
    assert response.status_code == 302 and not is_enrolled(member)
    assert audit_events(event_type="twofactor.reset")


def test_user_admin_reset_of_an_admin_is_forbidden(
    user_admin: Any, admin: Any, enrol: Any, login_as: Any
) -> None:
    enrol(admin)
    page = login_as(user_admin).get(f"/o/acme/members/{admin.pk}/")
    assert b"two-factor/reset" not in page.content
    response = login_as(user_admin).post(f"/o/acme/members/{admin.pk}/two-factor/reset")
    assert response.status_code == 403 and is_enrolled(admin)


def test_reset_of_another_tenants_member_id_is_not_found(
    admin: Any, other_member: Any, enrol: Any, login_as: Any
) -> None:
    enrol(other_member)
    response = login_as(admin).post(f"/o/acme/members/{other_member.pk}/two-factor/reset")
    assert response.status_code == 404 and is_enrolled(other_member)


def test_settings_page_has_its_two_factor_section(owner: Any, login_as: Any) -> None:
    page = login_as(owner).get("/o/acme/settings/")
    assert b'action="/o/acme/settings/two-factor"' in page.content


def test_member_cannot_reach_the_two_factor_settings(member: Any, login_as: Any) -> None:
    client = login_as(member)
    assert (
        client.post(
            "/o/acme/settings/two-factor", {"requirement": "off", "grace_days": "1"}
        ).status_code
        == 403
    )


def test_code_page_speaks_french(member: Any, enrol: Any, password_login: Any) -> None:
    enrol(member)
    client, _ = password_login(member)
    client.cookies["django_language"] = "fr"
    page = client.get("/o/acme/login/code")
    assert "Authentification à deux facteurs".encode() in page.content
