"""Idle session timeout per organization, within the absolute 12-hour limit (issue #13 §8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

BACKEND = "equipage.accounts.backends.MemberBackend"


def _client(member: Any) -> Client:
    client = Client()
    client.force_login(member, backend=BACKEND)
    client.cookies["django_language"] = "en"
    return client


def _is_in(client: Client) -> bool:
    response = client.get("/o/acme/members")
    if response.status_code == 302:
        assert response["Location"].startswith("/o/acme/login?next=")
        return False
    assert response.status_code == 200
    return True


def test_a_console_left_alone_longer_than_the_default_two_hours_asks_for_the_password(
    admin: Any, frozen_clock: Any
) -> None:
    client = _client(admin)
    assert _is_in(client)
    frozen_clock.advance(minutes=119)
    assert _is_in(client)  # activity: the idle delay starts again
    frozen_clock.advance(minutes=121)
    assert not _is_in(client)
    page = client.get("/o/acme/login").content.decode()
    assert "Your session ended after a period without activity" in page
    frozen_clock.advance(minutes=1)
    assert not _is_in(client)  # the session is gone, not just hidden


def test_the_organization_setting_shortens_the_idle_delay(
    org: Any, owner: Any, admin: Any, frozen_clock: Any
) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(actor=owner, organization=org, session_idle_minutes=30)
    client = _client(admin)
    assert _is_in(client)
    frozen_clock.advance(minutes=29)
    assert _is_in(client)
    frozen_clock.advance(minutes=31)
    assert not _is_in(client)


def test_activity_never_stretches_a_session_past_twelve_hours(
    org: Any, owner: Any, admin: Any, frozen_clock: Any
) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(actor=owner, organization=org, session_idle_minutes=720)
    client = _client(admin)
    assert _is_in(client)
    for _ in range(23):  # a request every half hour for 11.5 hours
        frozen_clock.advance(minutes=30)
        assert _is_in(client)
    frozen_clock.advance(minutes=30)
    assert not _is_in(client)
    assert "maximum length" in client.get("/o/acme/login").content.decode()


def test_last_activity_is_written_at_most_once_a_minute_and_costs_no_query_when_active(
    admin: Any, frozen_clock: Any
) -> None:
    from django.contrib.sessions.models import Session

    client = _client(admin)
    assert _is_in(client)
    key = client.session.session_key
    stamp = Session.objects.get(session_key=key).expire_date
    frozen_clock.advance(seconds=30)
    with CaptureQueriesContext(connection) as queries:
        assert _is_in(client)
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any("UPDATE" in s and "django_session" in s for s in sql), sql
    idle_lookup = 'SELECT "organizations_organization"."session_idle_minutes" FROM'
    assert not any(s.startswith(idle_lookup) for s in sql), sql
    frozen_clock.advance(seconds=31)
    with CaptureQueriesContext(connection) as queries:
        assert _is_in(client)
    assert any("django_session" in q["sql"] and "UPDATE" in q["sql"] for q in queries)
    # Writing "last seen" did not push the absolute expiry of the session.
    assert Session.objects.get(session_key=key).expire_date == stamp


def test_api_calls_with_a_token_are_not_sessions(org: Any, admin: Any, frozen_clock: Any) -> None:
    from equipage.tokens.actions import token_create

    raw = token_create(actor=admin, organization=org, name="ci", scopes=["api"]).raw
    client = Client()
    assert client.get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    frozen_clock.advance(hours=13)
    assert client.get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_after_an_idle_logout_logging_in_again_starts_a_fresh_session(
    admin: Any, frozen_clock: Any
) -> None:
    client = _client(admin)
    assert _is_in(client)
    frozen_clock.advance(hours=11, minutes=50)
    assert not _is_in(client)  # idle: the session is flushed, stamps and all
    client.force_login(admin, backend=BACKEND)
    assert _is_in(client)
    frozen_clock.advance(minutes=30)
    assert _is_in(client)  # 12 h 20 after the first login, 30 min after the second


def test_a_session_whose_row_has_expired_is_not_loaded(admin: Any) -> None:
    """The store reads the row by its key and refuses it past its expiry (the row's own date)."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = _client(admin)
    assert _is_in(client)
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(1))
    assert not _is_in(client)


def test_an_unknown_session_key_is_anonymous(admin: Any) -> None:
    client = _client(admin)
    client.cookies["sessionid"] = "x" * 32
    assert not _is_in(client)


def test_the_signed_in_member_comes_with_their_organization_and_roles_in_one_read(
    admin: Any, other_owner: Any, member: Any
) -> None:
    from equipage.accounts.backends import MemberBackend, roles_read_along

    backend = MemberBackend()
    with CaptureQueriesContext(connection) as reads:
        found = backend.get_user(admin.pk)
        assert found is not None and found.organization.slug == "acme"
    assert len(reads.captured_queries) == 1
    # The request's actor takes the roles once; a later actor reads them afresh.
    assert roles_read_along(found) == frozenset({"admin"})
    assert roles_read_along(found) is None
    assert roles_read_along(backend.get_user(member.pk)) == frozenset({"member"})
    assert found == admin and found.email == admin.email and found.created_at == admin.created_at
    assert backend.get_user(other_owner.pk).organization.slug == "globex"  # type: ignore[union-attr]
    assert backend.get_user(10**9) is None
    assert backend.get_user("not a number") is None


def test_a_deactivated_member_s_session_signs_in_nobody(owner: Any, admin: Any) -> None:
    from equipage.accounts.actions import member_deactivate
    from equipage.accounts.backends import MemberBackend

    member_deactivate(actor=owner, member=admin)
    assert MemberBackend().get_user(admin.pk) is None
