"""Single sign-on through the console against the real loopback provider (oidc-provider)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from equipage.accounts.actions import member_deactivate, member_update
from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.sso.models import SsoLink
from equipage.sso.session import SSO_SESSION
from tests.conftest import make_member
from tests.sso.conftest import callback_path, start_sso
from tests.sso.idp import TEST_REDIRECT, sign_in_at_idp


def _logged_in_as(client: Client) -> int | None:
    key = client.session.get("_auth_user_id")
    return int(key) if key is not None else None


def _refusals(org: Any) -> list[str]:
    return [
        e["reason"]
        for e in AuditEvent.objects.filter(
            organization=org, event_type="sso.login_refused"
        ).values_list("after", flat=True)
    ]


def test_login_page_shows_the_sign_in_with_button(sso: Any) -> None:
    page = Client().get("/o/acme/login").content.decode()
    assert "Sign in with Loopback IdP" in page
    assert 'href="/o/acme/sso/login' in page


def test_member_with_verified_email_signs_in_and_is_linked(
    org: Any, owner: Any, sign_in: Callable[..., Any], audit_events: Any
) -> None:
    alice = make_member(org, owner, "Alice", "Martin", email="alice@acme.test")
    client = Client()
    response = sign_in(client, "alice-sub")
    assert response.status_code == 302 and response["Location"] == "/o/acme/"
    assert _logged_in_as(client) == alice.pk
    assert client.session[SSO_SESSION]["issuer"].startswith("http://127.0.0.1:")
    assert client.get("/o/acme/").status_code == 200
    link = SsoLink.objects.get(member=alice)
    assert link.subject == "alice-sub"
    assert audit_events(event_type="member.sso_login") == ["member.sso_login"]
    # The second time, the stored link finds her even after her e-mail changed.
    member_update(actor=owner, member=alice, email="alice.new@acme.test")
    again = Client()
    assert sign_in(again, "alice-sub").status_code == 302
    assert _logged_in_as(again) == alice.pk


def test_unverified_email_is_refused(org: Any, owner: Any, sign_in: Callable[..., Any]) -> None:
    make_member(org, owner, "Bob", "Unverified", email="bob@acme.test")
    client = Client()
    response = sign_in(client, "bob-sub")
    assert response.status_code == 403
    assert "has not verified your e-mail" in response.content.decode()
    assert _logged_in_as(client) is None
    assert _refusals(org) == ["email_unverified"]


def test_scim_external_id_matches_the_subject_only_when_configured(
    org: Any, owner: Any, sso: Any, sign_in: Callable[..., Any]
) -> None:
    carol = make_member(org, owner, "Carol", "Scim", external_id="scim-sub-123")
    refused = Client()
    assert sign_in(refused, "scim-sub-123").status_code == 403
    sso.match_external_id = True
    sso.save(update_fields=["match_external_id"])
    client = Client()
    assert sign_in(client, "scim-sub-123").status_code == 302
    assert _logged_in_as(client) == carol.pk


def test_deactivated_member_is_refused_despite_a_valid_provider_session(
    org: Any, owner: Any, sign_in: Callable[..., Any]
) -> None:
    dave = make_member(org, owner, "Dave", "Gone", email="dave@acme.test")
    client = Client()
    assert sign_in(client, "dave-sub").status_code == 302  # linked while active
    member_deactivate(actor=owner, member=dave)
    later = Client()
    response = sign_in(later, "dave-sub")
    assert response.status_code == 403
    assert "not active" in response.content.decode()
    assert _logged_in_as(later) is None
    assert "not_active" in _refusals(org)


def test_member_in_the_bin_is_refused_despite_a_valid_provider_session(
    org: Any, owner: Any, sign_in: Callable[..., Any]
) -> None:
    from equipage.accounts.actions import member_delete

    dave = make_member(org, owner, "Dave", "Gone", email="dave@acme.test")
    assert sign_in(Client(), "dave-sub").status_code == 302  # linked while active
    member_delete(actor=owner, member=dave)
    later = Client()
    response = sign_in(later, "dave-sub")
    assert response.status_code == 403
    assert _logged_in_as(later) is None
    assert "not_active" in _refusals(org)


def test_member_of_another_organization_with_that_email_is_never_matched(
    org: Any, other_org: Any, other_owner: Any, sign_in: Callable[..., Any]
) -> None:
    make_member(other_org, other_owner, "Gina", "Globex", email="gina@globex.test")
    client = Client()
    assert sign_in(client, "gina-sub").status_code == 403
    assert _logged_in_as(client) is None
    assert _refusals(org) == ["no_match"]


def test_unknown_person_is_refused_unless_just_in_time_creation_is_on(
    org: Any, sso: Any, sign_in: Callable[..., Any]
) -> None:
    assert sign_in(Client(), "new-sub").status_code == 403
    assert not Member.objects.filter(email="newcomer@acme.test").exists()
    sso.jit_create = True
    sso.save(update_fields=["jit_create"])
    client = Client()
    assert sign_in(client, "new-sub").status_code == 302
    created = Member.objects.get(organization=org, email="newcomer@acme.test")
    assert (created.first_name, created.last_name, created.state) == ("Nora", "Newcomer", "active")
    assert _logged_in_as(client) == created.pk
    # An SSO session is not sent to the password-change page, whatever the first-password policy.
    assert client.get("/o/acme/").status_code == 200


def test_just_in_time_creation_respects_the_seats(
    org: Any, sso: Any, sign_in: Callable[..., Any]
) -> None:
    org.seats = 1  # the owner holds it
    org.save(update_fields=["seats"])
    sso.jit_create = True
    sso.save(update_fields=["jit_create"])
    response = sign_in(Client(), "new-sub")
    assert response.status_code == 403
    assert "no free seat" in response.content.decode()
    assert not Member.objects.filter(email="newcomer@acme.test").exists()


def test_tampered_state_is_refused(org: Any, owner: Any, sso: Any) -> None:
    make_member(org, owner, "Alice", "Martin", email="alice@acme.test")
    client = Client()
    back = sign_in_at_idp(start_sso(client), "alice-sub", TEST_REDIRECT)
    tampered = back.replace("state=", "state=x")
    assert client.get(callback_path(tampered)).status_code == 403
    assert _logged_in_as(client) is None


def test_replayed_authorization_response_is_refused(org: Any, owner: Any, sso: Any) -> None:
    make_member(org, owner, "Alice", "Martin", email="alice@acme.test")
    client = Client()
    back = sign_in_at_idp(start_sso(client), "alice-sub", TEST_REDIRECT)
    assert client.get(callback_path(back)).status_code == 302
    # The same answer again, from another browser: its state was this one's, and is spent.
    thief = Client()
    assert thief.get(callback_path(back)).status_code == 403
    assert _logged_in_as(thief) is None


def test_used_code_replayed_under_a_fresh_state_is_refused(org: Any, owner: Any, sso: Any) -> None:
    make_member(org, owner, "Alice", "Martin", email="alice@acme.test")
    client = Client()
    back = sign_in_at_idp(start_sso(client), "alice-sub", TEST_REDIRECT)
    assert client.get(callback_path(back)).status_code == 302
    attacker = Client()
    fresh_state = start_sso(attacker).split("state=")[1].split("&")[0]
    code = back.split("code=")[1].split("&")[0]
    response = attacker.get(f"/o/acme/sso/callback?code={code}&state={fresh_state}")
    assert response.status_code == 403
    assert _logged_in_as(attacker) is None
    assert any(r.startswith("token_exchange") for r in _refusals(org))


def test_next_page_is_kept_but_only_inside_the_organization(org: Any, owner: Any, sso: Any) -> None:
    make_member(org, owner, "Alice", "Martin", email="alice@acme.test")
    client = Client()
    back = sign_in_at_idp(start_sso(client, next_url="/o/acme/me/"), "alice-sub", TEST_REDIRECT)
    assert client.get(callback_path(back))["Location"] == "/o/acme/me/"
    other = Client()
    back = sign_in_at_idp(
        start_sso(other, next_url="https://evil.test/"), "alice-sub", TEST_REDIRECT
    )
    assert other.get(callback_path(back))["Location"] == "/o/acme/"


def test_sign_in_without_a_configured_provider_is_not_found(org: Any) -> None:
    assert Client().get("/o/acme/sso/login").status_code == 404
    assert Client().get("/o/acme/sso/callback?code=x&state=y").status_code == 404


def test_sso_session_ends_after_the_idle_time_like_a_password_session(
    org: Any, owner: Any, sign_in: Callable[..., Any], frozen_clock: Any
) -> None:
    make_member(org, owner, "Alice", "Martin", email="alice@acme.test")
    client = Client()
    assert sign_in(client, "alice-sub").status_code == 302
    assert client.get("/o/acme/me/").status_code == 200
    frozen_clock.advance(hours=13)
    assert client.get("/o/acme/me/")["Location"].startswith("/o/acme/login")
    assert _logged_in_as(client) is None


def test_settings_page_links_to_single_sign_on(org: Any, owner: Any, sso: Any) -> None:
    client = Client()
    client.force_login(owner, backend="equipage.accounts.backends.MemberBackend")
    page = client.get("/o/acme/settings/").content.decode()
    assert 'href="/o/acme/settings/sso/"' in page
    assert "Members sign in with Loopback IdP." in page


def test_answer_naming_another_issuer_is_refused(org: Any, owner: Any, sso: Any) -> None:
    make_member(org, owner, "Alice", "Martin", email="alice@acme.test")
    client = Client()
    back = sign_in_at_idp(start_sso(client), "alice-sub", TEST_REDIRECT)
    assert "iss=" in back  # oidc-provider names itself (RFC 9207)
    mixed_up = back.replace("iss=", "iss=https%3A%2F%2Fevil.test&was=")
    assert client.get(callback_path(mixed_up)).status_code == 403
    assert _logged_in_as(client) is None
    assert "response_issuer" in _refusals(org)


def test_french_login_page_says_se_connecter_avec(org: Any, sso: Any) -> None:
    org.language = "fr"
    org.save(update_fields=["language"])
    page = Client().get("/o/acme/login").content.decode()
    assert "Se connecter avec Loopback IdP" in page
