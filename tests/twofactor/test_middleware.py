"""Forced enrolment after the grace period, on every page, with the injected clock."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.twofactor.actions import twofactor_policy_update


@pytest.fixture
def admins_required(org: Any, owner: Any, frozen_clock: Any) -> None:
    enrolled_owner = owner  # the owner gives everyone (themselves included) a week
    twofactor_policy_update(
        actor=enrolled_owner, organization=org, requirement="admins", grace_days=7
    )


def test_admin_works_as_before_during_the_grace_period(
    admin: Any, admins_required: Any, login_as: Any, frozen_clock: Any
) -> None:
    frozen_clock.advance(days=6)
    client = login_as(admin)
    page = client.get("/o/acme/members")
    assert page.status_code == 200


def test_admin_is_sent_to_the_set_up_page_after_the_grace_period(
    admin: Any, admins_required: Any, login_as: Any, frozen_clock: Any, enrol: Any
) -> None:
    frozen_clock.advance(days=8)
    client = login_as(admin)
    for path in (
        "/o/acme/",
        "/o/acme/members",
        "/o/acme/settings/",
        f"/o/acme/members/{admin.pk}/",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/o/acme/me/two-factor/"
    setup = client.get("/o/acme/me/two-factor/")
    assert setup.status_code == 200 and b"<svg" in setup.content
    enrol(admin)
    assert client.get("/o/acme/members").status_code == 200


def test_plain_member_is_not_concerned_by_the_admins_requirement(
    member: Any, admins_required: Any, login_as: Any, frozen_clock: Any
) -> None:
    frozen_clock.advance(days=30)
    assert login_as(member).get("/o/acme/me/").status_code == 200


def test_a_member_created_later_gets_their_own_grace_period(
    org: Any, owner: Any, frozen_clock: Any, login_as: Any
) -> None:
    from tests.conftest import make_member

    twofactor_policy_update(actor=owner, organization=org, requirement="everyone", grace_days=7)
    frozen_clock.advance(days=30)
    newcomer = make_member(org, owner, "Nina", "Newcomer")
    assert login_as(newcomer).get("/o/acme/me/").status_code == 200
    frozen_clock.advance(days=8)
    assert login_as(newcomer).get("/o/acme/me/")["Location"] == "/o/acme/me/two-factor/"


def test_owner_switching_it_on_is_not_locked_out(
    org: Any, owner: Any, login_as: Any, frozen_clock: Any
) -> None:
    """The owner turns the requirement on for everyone from the console and keeps working;
    after the grace period they reach the set-up page, and logout, never a dead end."""
    client = login_as(owner)
    saved = client.post(
        "/o/acme/settings/two-factor", {"requirement": "everyone", "grace_days": "7"}
    )
    assert saved.status_code == 302
    assert client.get("/o/acme/settings/").status_code == 200
    frozen_clock.advance(days=8)
    client = login_as(owner)  # a week later, a new session
    assert client.get("/o/acme/settings/")["Location"] == "/o/acme/me/two-factor/"
    assert client.get("/o/acme/me/two-factor/").status_code == 200
    assert client.post("/o/acme/logout").status_code == 302


def test_owner_without_second_factor_cannot_require_it_at_once_from_the_console(
    owner: Any, login_as: Any
) -> None:
    client = login_as(owner)
    refused = client.post(
        "/o/acme/settings/two-factor", {"requirement": "admins", "grace_days": "0"}
    )
    assert refused.status_code == 400 and b"for yourself first" in refused.content
    assert client.get("/o/acme/members").status_code == 200


def test_session_logged_in_by_single_sign_on_is_not_sent_to_the_set_up_page(
    admin: Any, admins_required: Any, frozen_clock: Any
) -> None:
    """The SSO helper's hook: the identity provider judges its own factors."""
    from django.contrib import auth
    from django.http import HttpRequest
    from django.test import Client

    from equipage.twofactor.login import vouch_external

    frozen_clock.advance(days=8)
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(admin, backend="equipage.accounts.backends.MemberBackend")
    assert client.get("/o/acme/members")["Location"] == "/o/acme/me/two-factor/"
    request = HttpRequest()
    request.session = client.session
    vouch_external(request, "oidc")
    request.session.save()
    assert auth.SESSION_KEY in request.session
    assert client.get("/o/acme/members").status_code == 200
