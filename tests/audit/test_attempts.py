"""Failed logins and token use audited, counted per offender and minute; unknown names hashed."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from equipage.audit import attempts
from equipage.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FAILED = "member.login_failed"


def _fail(client: Client, identifier: str, ip: str = "198.51.100.7") -> int:
    response = client.post(
        "/o/acme/login", {"identifier": identifier, "password": "not-the-password"}, REMOTE_ADDR=ip
    )
    return response.status_code


def test_eight_failed_logins_on_a_member_are_counted_events_attached_to_them(
    org: Any, member: Any, frozen_clock: Any
) -> None:
    client = Client()
    for _ in range(8):
        assert _fail(client, member.login) == 200  # each one heard: wait out the pauses
        frozen_clock.advance(seconds=20)
    rows = list(AuditEvent.objects.filter(event_type=FAILED))
    assert rows and all(r.member_id == member.pk and r.organization_id == org.pk for r in rows)
    assert sum(r.after["count"] for r in rows) == 8
    assert len(rows) < 8  # folded per minute, not a row each
    assert rows[0].actor_label == attempts.ANONYMOUS
    assert rows[0].origin["ip"] == "198.51.100.7" and rows[0].origin["channel"] == "web"


def test_a_failed_login_within_one_minute_is_one_row_counting_them(
    org: Any, member: Any, frozen_clock: Any
) -> None:
    client = Client()
    for _ in range(3):
        _fail(client, member.email)
    (row,) = AuditEvent.objects.filter(event_type=FAILED)
    assert row.after["count"] == 3


def test_an_unknown_identifier_is_stored_hashed_and_nowhere_in_clear(
    org: Any, owner: Any, frozen_clock: Any
) -> None:
    typed = "Hunter2-Secret-Typed-In-The-Login"
    client = Client()
    frozen_clock.now = frozen_clock.now.replace(second=0)
    for _ in range(3):
        _fail(client, typed)
        frozen_clock.advance(seconds=5)
    (row,) = AuditEvent.objects.filter(event_type=FAILED)
    assert row.member_id is None and row.after["count"] == 3
    assert row.after["identifier_hmac"] == attempts.hashed_identifier(org.pk, typed)
    # The attack: read every row of every table looking for what was typed.
    for model in apps.get_models():
        for values in model._default_manager.values():
            text = repr(values).lower()
            assert typed.lower() not in text, model.__name__


def test_the_identifier_hash_is_keyed_by_the_secret_key(settings: Any) -> None:
    first = attempts.hashed_identifier(1, "ghost")
    assert attempts.hashed_identifier(1, " GHOST ") == first
    assert attempts.hashed_identifier(2, "ghost") != first
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert attempts.hashed_identifier(1, "ghost") != first


def test_a_successful_login_is_not_a_failed_one(org: Any, member: Any) -> None:
    response = Client().post(
        "/o/acme/login", {"identifier": member.login, "password": "member-pass-123"}
    )
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(event_type=FAILED).exists()


def test_token_use_is_one_row_per_token_and_minute_counting_requests(
    org: Any, owner: Any, frozen_clock: Any, monkeypatch: Any
) -> None:
    from equipage.tokens.actions import token_create

    monkeypatch.setattr(attempts, "FLUSH_EVERY", 2)
    monkeypatch.setattr(attempts, "_used", {})
    raw = token_create(actor=owner, organization=org, name="sync", scopes=["api"]).raw
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for _ in range(3):
        assert client.get("/api/v1/members").status_code == 200
    (row,) = AuditEvent.objects.filter(event_type="security.token_used")
    assert row.organization_id == org.pk and row.target_type == "apitoken"
    assert row.after["count"] == 3 and row.origin["channel"] == "api"
