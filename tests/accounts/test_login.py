"""Logging in at /o/<slug>/login: identifiers, tenants, temporary passwords, forced change, sessions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from equipage.accounts.actions import member_create, member_deactivate
from equipage.accounts.models import Member
from tests.tasks import run_queued_tasks

PASSWORD = "member-pass-123"


def login(client: Client, slug: str, identifier: str, password: str, **extra: Any) -> Any:
    return client.post(
        f"/o/{slug}/login", {"identifier": identifier, "password": password}, **extra
    )


def test_member_logs_in_with_login_or_email(org: Any, member: Any) -> None:
    c = Client()
    assert login(c, "acme", member.login, PASSWORD).status_code == 302
    assert c.get("/o/acme/").status_code == 200
    c2 = Client()
    r = login(c2, "acme", member.email.upper(), PASSWORD)
    assert r.status_code == 302 and r["Location"] == "/o/acme/"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    org: Any, member: Any
) -> None:
    r = login(Client(), "acme", member.login, "nope-nope-nope")
    assert r.status_code == 200
    assert "Wrong login or password" in r.content.decode()
    r2 = login(Client(), "acme", "nobody-here", "nope-nope-nope")
    assert r2.content.decode().count("Wrong login or password") == 1


def test_member_of_one_tenant_cannot_log_in_at_another(
    org: Any, other_org: Any, member: Any
) -> None:
    c = Client()
    r = login(c, "globex", member.login, PASSWORD)
    assert r.status_code == 200 and "Wrong login or password" in r.content.decode()
    # Even logged in at acme, globex's pages send them to globex's login.
    login(c, "acme", member.login, PASSWORD)
    r = c.get("/o/globex/")
    assert r.status_code == 302 and r["Location"].startswith("/o/globex/login")


def test_unknown_organization_answers_404(db: Any) -> None:
    assert Client().get("/o/nowhere/login").status_code == 404


TEMPORARY = "kq7m-x3fa-9wpt"


def choose_shared_policy(org: Any, owner: Any) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(
        actor=owner, organization=org, first_password_policy="shared", temporary_password=TEMPORARY
    )


def test_shared_temporary_password_works_for_the_first_login_only(
    org: Any, owner: Any, admin: Any, frozen_clock: Any
) -> None:
    choose_shared_policy(org, owner)
    m = member_create(actor=admin, organization=org, first_name="Temp", last_name="Orary")
    c = Client()
    r = login(c, "acme", m.login, TEMPORARY)
    assert r.status_code == 302 and r["Location"] == "/o/acme/password/change/"
    c.post("/o/acme/logout")
    # Not changed, but the first login is spent: the shared password no longer opens it.
    r = login(Client(), "acme", m.login, TEMPORARY)
    assert r.status_code == 200


def test_shared_temporary_password_expires_after_14_days(
    org: Any, owner: Any, admin: Any, frozen_clock: Any
) -> None:
    choose_shared_policy(org, owner)
    m = member_create(actor=admin, organization=org, first_name="Late", last_name="Comer")
    frozen_clock.advance(days=14, minutes=1)
    assert login(Client(), "acme", m.login, TEMPORARY).status_code == 200


def test_shared_temporary_password_guesses_are_throttled_like_any_login(
    org: Any, owner: Any, admin: Any
) -> None:
    choose_shared_policy(org, owner)
    m = member_create(actor=admin, organization=org, first_name="Slow", last_name="Down")
    for i in range(5):
        login(Client(), "acme", m.login, f"guess-{i}-xyz", REMOTE_ADDR=f"10.3.0.{i}")
    # Even the right temporary password is refused while the account is paused.
    assert login(Client(), "acme", m.login, TEMPORARY, REMOTE_ADDR="10.3.1.1").status_code == 429


def test_public_tempeos_opens_no_account_of_a_new_organization(org: Any, admin: Any) -> None:
    m = member_create(actor=admin, organization=org, first_name="Guess", last_name="Able")
    assert not m.uses_temp_password
    assert login(Client(), "acme", m.login, "tempeos").status_code == 200


def test_link_policy_never_accepts_the_shared_password(org: Any, owner: Any, admin: Any) -> None:
    from equipage.organizations.actions import organization_update

    choose_shared_policy(org, owner)
    early = member_create(actor=admin, organization=org, first_name="Early", last_name="Bird")
    organization_update(actor=owner, organization=org, first_password_policy="link")
    m = member_create(
        actor=admin, organization=org, first_name="Link", last_name="Only", email="link@acme.test"
    )
    assert not m.uses_temp_password
    assert login(Client(), "acme", m.login, TEMPORARY).status_code == 200
    # Switching to link also shuts the door for accounts made under the shared policy.
    assert login(Client(), "acme", early.login, TEMPORARY).status_code == 200


def test_forced_password_change_is_enforced_on_every_page(org: Any, admin: Any) -> None:
    m = member_create(
        actor=admin,
        organization=org,
        first_name="Force",
        last_name="Change",
        password="Admin-set-pass-1",
    )
    c = Client()
    login(c, "acme", m.login, "Admin-set-pass-1")
    for path in ("/o/acme/", "/o/acme/members", "/o/acme/anything"):
        r = c.get(path)
        assert r.status_code == 302 and r["Location"] == "/o/acme/password/change/", path
    r = c.post(
        "/o/acme/password/change/",
        {"new_password1": "Brand-new-pass-42", "new_password2": "Brand-new-pass-42"},
    )
    assert r.status_code == 302
    assert c.get("/o/acme/").status_code == 200
    m.refresh_from_db()
    assert not m.must_change_password and m.check_password("Brand-new-pass-42")


def test_deactivated_member_is_anonymous_on_their_next_request(
    org: Any, admin: Any, member: Any
) -> None:
    c = Client()
    login(c, "acme", member.login, PASSWORD)
    assert c.get("/o/acme/").status_code == 200
    member_deactivate(actor=admin, member=member)
    r = c.get("/o/acme/")
    assert r.status_code == 302 and "/login" in r["Location"]
    assert login(Client(), "acme", member.login, PASSWORD).status_code == 200


def test_login_is_recorded_in_the_audit_log(org: Any, member: Any, audit_events: Any) -> None:
    login(Client(), "acme", member.login, PASSWORD)
    assert "member.login" in audit_events(member=member)
    member.refresh_from_db()
    assert member.last_login is not None


def test_login_attempt_itself_records_the_login_and_a_failure_records_none(
    org: Any, member: Any, audit_events: Any
) -> None:
    """The audit event is the action's, so every login path gets it, not only the console's."""
    from equipage.accounts.actions import login_attempt
    from equipage.permissions import Origin

    def attempt(password: str) -> Any:
        return login_attempt(
            organization=org,
            identifier=member.login,
            password=password,
            origin=Origin("web", ip="192.0.2.9"),
            cookies={},
        )

    assert attempt("nope-nope-nope").member is None
    assert "member.login" not in audit_events(member=member)
    assert attempt(PASSWORD).member == member
    assert audit_events(member=member).count("member.login") == 1


@pytest.mark.django_db(transaction=True)  # the real worker runs the queued reset
@pytest.mark.parametrize(
    "identifier", ["mia.member", "mia.member@acme.test", "ghost", "ghost@acme.test"]
)
def test_reset_request_gives_the_same_answer_whether_the_account_exists_or_not(
    org: Any, member: Any, identifier: str
) -> None:
    from equipage.emails.models import OutboundEmail

    r = Client().post("/o/acme/password/reset/", {"identifier": identifier})
    assert r.status_code == 200
    assert "If an active account matches" in r.content.decode()
    run_queued_tasks()
    sent = OutboundEmail.objects.filter(kind="password_reset").count()
    assert sent == (1 if identifier.startswith("mia") else 0)


@pytest.mark.django_db(transaction=True)  # the real worker runs the queued reset
def test_reset_link_works_once(org: Any, member: Any) -> None:
    from equipage.emails.models import OutboundEmail

    Client().post("/o/acme/password/reset/", {"identifier": member.login})
    run_queued_tasks()
    body = OutboundEmail.objects.get(kind="password_reset").body_text
    path = "/o/acme/password/set/" + body.split("/password/set/")[1].split("/")[0] + "/"
    c = Client()
    assert c.get(path).status_code == 200
    r = c.post(path, {"new_password1": "Reset-pass-2026!", "new_password2": "Reset-pass-2026!"})
    assert r.status_code == 302
    assert Member.objects.get(pk=member.pk).check_password("Reset-pass-2026!")
    assert c.get(path).status_code == 410
    r = c.post(path, {"new_password1": "Other-pass-2026!", "new_password2": "Other-pass-2026!"})
    assert r.status_code == 410
    assert Member.objects.get(pk=member.pk).check_password("Reset-pass-2026!")


@pytest.mark.django_db(transaction=True)  # the real worker runs the queued reset
def test_reset_link_of_one_tenant_is_dead_at_another(org: Any, other_org: Any, member: Any) -> None:
    from equipage.emails.models import OutboundEmail

    Client().post("/o/acme/password/reset/", {"identifier": member.login})
    run_queued_tasks()
    body = OutboundEmail.objects.get(kind="password_reset").body_text
    token = body.split("/password/set/")[1].split("/")[0]
    assert Client().get(f"/o/globex/password/set/{token}/").status_code == 410


def test_member_home_shows_the_administrators_contact_card(
    org: Any, owner: Any, admin: Any, member: Any
) -> None:
    c = Client()
    login(c, "acme", member.login, PASSWORD)
    page = c.get("/o/acme/").content.decode()
    assert admin.email in page and owner.email in page
