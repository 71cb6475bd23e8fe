"""Console sessions listed and signed out (issue #18.4, ASVS 7.4.3 / 7.4.5)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from equipage.accounts.models import ConsoleSession

pytestmark = pytest.mark.django_db

BACKEND = "equipage.accounts.backends.MemberBackend"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def _client(member: Any, agent: str = FIREFOX, ip: str = "203.0.113.7") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    client.force_login(member, backend=BACKEND)
    client.cookies["django_language"] = "en"
    client.get(f"/o/{member.organization.slug}/me/")  # the session's first request
    return client


def _is_in(client: Client, slug: str = "acme") -> bool:
    response = client.get(f"/o/{slug}/me/")
    if response.status_code == 302:
        assert response["Location"].startswith(f"/o/{slug}/login")
        return False
    assert response.status_code == 200
    return True


def _sid(client: Client) -> int:
    return int(client.session["equipage.sid"])


def test_a_session_is_recorded_with_its_device_and_client_address(member: Any) -> None:
    client = _client(member)
    row = ConsoleSession.objects.get(pk=_sid(client))
    assert (row.member_id, row.browser, row.system, row.ip) == (
        member.pk,
        "Firefox",
        "Windows",
        "203.0.113.7",
    )
    assert (row.expires_at - row.created_at).total_seconds() == 12 * 3600


def test_the_client_address_is_believed_from_a_trusted_proxy_only(
    member: Any, settings: Any
) -> None:
    settings.EQUIPAGE_TRUSTED_PROXIES = ["127.0.0.1"]
    behind = Client(HTTP_X_FORWARDED_FOR="198.51.100.9", REMOTE_ADDR="127.0.0.1")
    behind.force_login(member, backend=BACKEND)
    behind.get("/o/acme/me/")
    forged = Client(HTTP_X_FORWARDED_FOR="198.51.100.9", REMOTE_ADDR="192.0.2.1")
    forged.force_login(member, backend=BACKEND)
    forged.get("/o/acme/me/")
    ips = {ConsoleSession.objects.get(pk=_sid(c)).ip for c in (behind, forged)}
    assert ips == {"198.51.100.9", "192.0.2.1"}


def test_the_profile_lists_the_members_sessions_with_this_one_marked(member: Any) -> None:
    _client(member, SAFARI, "198.51.100.20")
    here = _client(member)
    page = here.get("/o/acme/me/").content.decode()
    assert "Safari on iPhone" in page and "198.51.100.20" in page
    assert re.search(r"Firefox on Windows <span[^>]*>this session</span>", page)
    assert page.count("this session") == 1


def test_the_sessions_list_is_in_french_for_a_french_reader(member: Any) -> None:
    here = _client(member)
    here.cookies["django_language"] = "fr"
    page = here.get("/o/acme/me/").content.decode()
    assert "Firefox sur Windows" in page and "cette session" in page


def test_a_member_signs_out_another_of_their_sessions_and_it_is_refused_next_request(
    member: Any, audit_events: Any
) -> None:
    phone, here = _client(member, SAFARI), _client(member)
    response = here.post(f"/o/acme/me/sessions/{_sid(phone)}/sign-out", follow=True)
    assert "That session is signed out." in response.content.decode()
    assert not _is_in(phone)
    assert "This session was signed out" in phone.get("/o/acme/login").content.decode()
    assert _is_in(here)
    assert audit_events()[0] == "member.session_ended"


def test_signing_out_the_others_keeps_this_session(member: Any, audit_events: Any) -> None:
    others = [_client(member, SAFARI), _client(member)]
    here = _client(member)
    page = here.post("/o/acme/me/sessions/sign-out-others", follow=True).content.decode()
    assert "2 other sessions are signed out." in page
    assert not any(_is_in(c) for c in others)
    assert _is_in(here)
    assert ConsoleSession.objects.filter(member=member).count() == 1
    assert audit_events()[0] == "member.sessions_ended"


def test_a_member_cannot_end_someone_elses_session(member: Any, outsider: Any) -> None:
    """Attack: post another member's session id from one's own profile."""
    from equipage.accounts.actions.sessions import session_sign_out
    from equipage.core.errors import NotFound, PermissionDenied

    victim = _client(outsider)
    attacker = _client(member)
    attacker.post(f"/o/acme/me/sessions/{_sid(victim)}/sign-out")
    assert _is_in(victim)
    with pytest.raises(NotFound):
        session_sign_out(actor=member, member=member, session_id=_sid(victim))
    with pytest.raises(PermissionDenied):
        session_sign_out(actor=member, member=outsider, session_id=_sid(victim))
    assert _is_in(victim)


def test_another_tenants_session_id_is_not_found(member: Any, other_member: Any) -> None:
    """Attack: a member of acme posts the id of a session of globex."""
    foreign = _client(other_member)
    attacker = _client(member)
    attacker.post(f"/o/acme/me/sessions/{_sid(foreign)}/sign-out")
    assert _is_in(foreign, "globex")


def test_a_session_naming_another_members_record_is_refused(member: Any, outsider: Any) -> None:
    """Attack: a session made to name the record of someone else's session."""
    victim = _client(outsider)
    attacker = _client(member)
    session = attacker.session
    session["equipage.sid"] = _sid(victim)
    session.save()
    assert not _is_in(attacker)
    assert _is_in(victim)


def test_an_admin_signs_a_member_out_everywhere(admin: Any, member: Any, audit_events: Any) -> None:
    sessions = [_client(member), _client(member, SAFARI)]
    console = _client(admin)
    page = console.post(
        f"/o/acme/members/{member.pk}/sign-out-everywhere", follow=True
    ).content.decode()
    assert "Mia Member is signed out of 2 sessions." in page
    assert not any(_is_in(c) for c in sessions)
    assert audit_events()[0] == "member.sessions_ended"
    # The member logs in again as before: nothing but the sessions changed.
    assert _is_in(_client(member))


def test_the_sign_out_everywhere_button_is_drawn_for_who_may_edit_the_member(
    admin: Any, user_admin: Any, owner: Any, member: Any
) -> None:
    button = "sign-out-everywhere"
    assert button in _client(admin).get(f"/o/acme/members/{member.pk}/").content.decode()
    assert button not in _client(user_admin).get(f"/o/acme/members/{owner.pk}/").content.decode()
    assert button in _client(owner).get(f"/o/acme/members/{owner.pk}/").content.decode()


def test_a_user_admin_cannot_sign_out_the_owner(user_admin: Any, owner: Any) -> None:
    """Attack: a user admin posts « Déconnecter partout » for the owner."""
    owners = _client(owner)
    response = _client(user_admin).post(f"/o/acme/members/{owner.pk}/sign-out-everywhere")
    assert response.status_code == 403
    assert _is_in(owners)


def test_an_admin_cannot_sign_out_the_owner_but_the_owner_can(admin: Any, owner: Any) -> None:
    from equipage.accounts.actions.sessions import sessions_sign_out_everywhere
    from equipage.core.errors import PermissionDenied

    phone = _client(owner, SAFARI)
    with pytest.raises(PermissionDenied):
        sessions_sign_out_everywhere(actor=admin, member=owner)
    assert _is_in(phone)
    here = _client(owner)
    here.post(f"/o/acme/members/{owner.pk}/sign-out-everywhere")
    assert not _is_in(phone) and not _is_in(here)


def test_a_plain_member_or_another_tenant_cannot_sign_out_everywhere(
    member: Any, outsider: Any, other_admin: Any
) -> None:
    victim = _client(outsider)
    assert (
        _client(member).post(f"/o/acme/members/{outsider.pk}/sign-out-everywhere").status_code
        == 403
    )
    other = _client(other_admin)
    assert other.post(f"/o/globex/members/{outsider.pk}/sign-out-everywhere").status_code == 404
    assert _is_in(victim)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(
    member: Any, audit_events: Any
) -> None:
    phone, here = _client(member, SAFARI), _client(member)
    page = here.get("/o/acme/password/change/").content.decode()
    assert "signs out your other sessions" in page
    response = here.post(
        "/o/acme/password/change/",
        {
            "old_password": "member-pass-123",
            "new_password1": "a-brand-new-secret-42",
            "new_password2": "a-brand-new-secret-42",
        },
        follow=True,
    )
    assert "Your other sessions are signed out." in response.content.decode()
    assert _is_in(here)
    assert not _is_in(phone)
    assert list(ConsoleSession.objects.filter(member=member).values_list("pk", flat=True)) == [
        _sid(here)
    ]
    assert "member.sessions_ended" in audit_events()


def test_setting_a_password_from_a_mailed_link_ends_every_session(member: Any, org: Any) -> None:
    from equipage.accounts.actions import password_set_from_token, password_token_create
    from equipage.accounts.models import PasswordTokenPurpose

    sessions = [_client(member), _client(member, SAFARI)]
    raw = password_token_create(member, PasswordTokenPurpose.RESET)
    password_set_from_token(organization=org, raw_token=raw, new_password="another-secret-77")
    assert not any(_is_in(c) for c in sessions)
    assert not ConsoleSession.objects.filter(member=member).exists()


def test_deactivation_ends_the_sessions_and_their_records(admin: Any, member: Any) -> None:
    from equipage.accounts.actions import member_deactivate

    phone = _client(member)
    member_deactivate(actor=admin, member=member)
    assert not ConsoleSession.objects.filter(member=member).exists()
    assert not _is_in(phone)


def test_logging_out_removes_the_sessions_record(member: Any) -> None:
    here = _client(member)
    sid = _sid(here)
    here.post("/o/acme/logout")
    assert not ConsoleSession.objects.filter(pk=sid).exists()


def test_last_seen_moves_with_the_once_a_minute_stamp_and_never_per_request(
    member: Any, frozen_clock: Any
) -> None:
    here = _client(member)
    first = ConsoleSession.objects.get(pk=_sid(here)).last_seen_at
    frozen_clock.advance(seconds=30)
    with CaptureQueriesContext(connection) as queries:
        assert _is_in(here)
    writes = [q["sql"] for q in queries.captured_queries if "accounts_consolesession" in q["sql"]]
    assert writes and not any(s.startswith(("UPDATE", "INSERT")) for s in writes), writes
    assert ConsoleSession.objects.get(pk=_sid(here)).last_seen_at == first
    frozen_clock.advance(seconds=31)
    assert _is_in(here)
    assert ConsoleSession.objects.get(pk=_sid(here)).last_seen_at == frozen_clock.now


def test_a_session_idle_past_the_limit_leaves_the_list_and_housekeeping_purges_it(
    member: Any, frozen_clock: Any
) -> None:
    from equipage.accounts.console_sessions import active_sessions
    from equipage.accounts.housekeeping import purge_ended_console_sessions

    idle = _client(member, SAFARI)
    frozen_clock.advance(hours=2, minutes=1)
    here = _client(member)
    assert [s.pk for s in active_sessions(member)] == [_sid(here)]
    assert purge_ended_console_sessions() == 0  # idle for the org, not past the longest limit
    frozen_clock.advance(hours=12)
    assert purge_ended_console_sessions() == 2
    assert not _is_in(idle)


def test_a_session_from_before_the_records_gets_one_on_its_next_request(member: Any) -> None:
    here = _client(member)
    ConsoleSession.objects.all().delete()
    session = here.session
    del session["equipage.sid"]
    session.save()
    assert _is_in(here)
    assert ConsoleSession.objects.filter(member=member).count() == 1
