"""The login's second step: a pending session reaches nothing but the code page and logout."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.audit.models import AuditEvent


def test_member_without_second_factor_logs_in_with_password_alone(
    member: Any, password_login: Any
) -> None:
    client, response = password_login(member)
    assert response.status_code == 302 and response["Location"] == "/o/acme/"
    assert client.get("/o/acme/me/").status_code == 200


def test_enrolled_member_is_asked_for_a_code_then_logged_in(
    member: Any, enrol: Any, password_login: Any, audit_events: Any
) -> None:
    enrolled = enrol(member)
    client, response = password_login(member)
    assert response["Location"] == "/o/acme/login/code"
    assert "_auth_user_id" not in client.session  # not logged in while the code is awaited
    page = client.get("/o/acme/login/code")
    assert page.status_code == 200 and b"authenticator app" in page.content
    done = client.post("/o/acme/login/code", {"code": enrolled.code()})
    assert done.status_code == 302 and done["Location"] == "/o/acme/"
    assert client.get("/o/acme/me/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/o/acme/",
        "/o/acme/members",
        "/o/acme/me/",
        "/o/acme/me/two-factor/",
        "/o/acme/settings/",
        "/o/acme/password/change/",
        "/o/acme/members/{pk}/",
        "/o/acme/members/{pk}/two-factor/reset",
    ],
)
def test_pending_session_reaches_no_console_page(
    owner: Any, member: Any, enrol: Any, password_login: Any, path: str
) -> None:
    enrol(owner)
    client, _ = password_login(owner, "owner-pass-123")
    url = path.format(pk=member.pk)
    for response in (client.get(url), client.post(url, {"op": "settings"})):
        assert response.status_code == 302
        assert response["Location"] == "/o/acme/login/code"


def test_pending_session_is_nobody_to_the_api(owner: Any, enrol: Any, password_login: Any) -> None:
    enrol(owner)
    client, _ = password_login(owner, "owner-pass-123")
    assert client.get("/api/v1/members").status_code == 401
    assert client.get("/scim/v2/Users").status_code == 401


def test_pending_session_may_log_out(member: Any, enrol: Any, password_login: Any) -> None:
    enrol(member)
    client, _ = password_login(member)
    assert client.post("/o/acme/logout").status_code == 302
    assert client.get("/o/acme/members")["Location"].startswith("/o/acme/login?next=")


def test_code_page_of_another_organization_does_not_log_in_there(
    member: Any, other_member: Any, enrol: Any, password_login: Any
) -> None:
    enrolled = enrol(member)
    client, _ = password_login(member)
    response = client.post("/o/globex/login/code", {"code": enrolled.code()})
    assert response.status_code == 302 and response["Location"] == "/o/globex/login"
    assert "_auth_user_id" not in client.session


def test_replayed_code_is_refused(member: Any, enrol: Any, password_login: Any) -> None:
    enrolled = enrol(member)
    code = enrolled.code()
    first, _ = password_login(member)
    assert first.post("/o/acme/login/code", {"code": code}).status_code == 302
    second, _ = password_login(member)  # an attacker who watched the code being typed
    replay = second.post("/o/acme/login/code", {"code": code})
    assert replay.status_code == 400 and b"not valid" in replay.content
    assert "_auth_user_id" not in second.session


def test_code_of_an_older_step_than_the_last_accepted_is_refused(
    member: Any, enrol: Any, password_login: Any
) -> None:
    enrolled = enrol(member)
    client, _ = password_login(member)
    assert client.post("/o/acme/login/code", {"code": enrolled.code(1)}).status_code == 302
    other, _ = password_login(member)
    assert other.post("/o/acme/login/code", {"code": enrolled.code()}).status_code == 400


def test_recovery_code_logs_in_once(
    member: Any, enrol: Any, password_login: Any, audit_events: Any
) -> None:
    enrolled = enrol(member)
    recovery = enrolled.recovery_codes[3].upper()  # typed in capitals: still accepted
    client, _ = password_login(member)
    assert client.post("/o/acme/login/code", {"code": recovery}).status_code == 302
    assert "twofactor.recovery_used" in audit_events()
    again, _ = password_login(member)
    assert again.post("/o/acme/login/code", {"code": recovery}).status_code == 400


def test_brute_force_of_codes_is_throttled_and_folded_in_the_audit(
    member: Any, enrol: Any, password_login: Any, frozen_clock: Any
) -> None:
    enrolled = enrol(member)
    client, _ = password_login(member)
    statuses = [
        client.post("/o/acme/login/code", {"code": f"{n:06d}"}).status_code for n in range(8)
    ]
    # Five free failures; the fifth makes the next attempt wait, and says so.
    assert statuses[:4] == [400] * 4 and statuses[4:] == [429] * 4
    # Even the right code waits until the pause is over: nothing is learnt meanwhile.
    refused = client.post("/o/acme/login/code", {"code": enrolled.code()})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    failed = AuditEvent.objects.filter(event_type="twofactor.code_failed", member=member)
    assert failed.count() == 1 and failed.get().after["count"] >= 5  # one counted row
    frozen_clock.advance(minutes=20)
    fresh, _ = password_login(member)
    assert fresh.post("/o/acme/login/code", {"code": enrolled.code()}).status_code == 302


def test_code_failures_of_another_address_share_its_counter(
    member: Any, admin: Any, enrol: Any, password_login: Any
) -> None:
    """One client guessing the codes of many accounts is slowed by its address's counter."""
    from equipage.accounts.models import LoginCounter

    enrol(member)
    enrol(admin)
    for who, password in ((member, "member-pass-123"), (admin, "member-pass-123")):
        client, _ = password_login(who, password)
        client.post("/o/acme/login/code", {"code": "000000"})
    assert LoginCounter.objects.get(key="address:2fa:127.0.0.1").failures == 2


def test_pending_state_expires(
    member: Any, enrol: Any, password_login: Any, frozen_clock: Any
) -> None:
    enrolled = enrol(member)
    client, _ = password_login(member)
    frozen_clock.advance(minutes=11)
    response = client.post("/o/acme/login/code", {"code": enrolled.code()})
    assert response.status_code == 302 and response["Location"] == "/o/acme/login"
    assert "_auth_user_id" not in client.session


def test_password_changed_meanwhile_voids_the_pending_session(
    member: Any, enrol: Any, password_login: Any
) -> None:
    enrolled = enrol(member)
    client, _ = password_login(member)
    member.set_password("another-pass-456")
    member.save(update_fields=["password"])
    response = client.post("/o/acme/login/code", {"code": enrolled.code()})
    assert response["Location"] == "/o/acme/login"


def test_member_moved_to_the_bin_meanwhile_cannot_finish_with_their_code(
    admin: Any, member: Any, enrol: Any, password_login: Any
) -> None:
    from equipage.accounts.actions import member_delete

    enrolled = enrol(member)
    client, _ = password_login(member)
    member_delete(actor=admin, member=member)
    response = client.post("/o/acme/login/code", {"code": enrolled.code()})
    assert response["Location"] == "/o/acme/login"
    assert "_auth_user_id" not in client.session


def test_forced_password_change_comes_after_the_code(
    member: Any, enrol: Any, password_login: Any
) -> None:
    enrolled = enrol(member)
    member.must_change_password = True
    member.save(update_fields=["must_change_password"])
    client, _ = password_login(member)
    done = client.post("/o/acme/login/code", {"code": enrolled.code()})
    assert done["Location"] == "/o/acme/password/change/"


def test_api_token_of_an_enrolled_admin_works_without_any_code(
    org: Any, owner: Any, admin: Any, enrol: Any, password_login: Any
) -> None:
    """Tokens authenticate on their own: the requirement and the code step never apply."""
    from equipage.tokens.actions import token_create
    from equipage.twofactor.actions import twofactor_policy_update

    raw = token_create(actor=admin, organization=org, name="sync", scopes=["api"]).raw
    enrol(admin)
    enrol(owner)
    twofactor_policy_update(actor=owner, organization=org, requirement="everyone", grace_days=0)
    client, _ = password_login(admin)  # even alongside a session waiting for its code
    response = client.get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


def test_waiting_for_the_code_takes_a_new_session_id(member: Any, enrol: Any) -> None:
    """A session id planted before the password (fixation) is not the one that waits."""
    from django.test import Client

    enrol(member)
    client = Client()
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    client.cookies["sessionid"] = planted
    client.post("/o/acme/login", {"identifier": member.login, "password": "member-pass-123"})
    assert client.cookies["sessionid"].value != planted
