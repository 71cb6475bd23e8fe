"""« Forgot password »: one answer, in the same work, whatever the account; no mail flood.

Issue #13.5's attacks: a reset request took measurably longer for an
existing account (the lookup and the mail ran in the request), reset mails to
one address were unlimited, and a deactivated account got one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from equipage.accounts.actions import member_deactivate
from equipage.emails.models import OutboundEmail
from tests.tasks import clear_cache, run_queued_tasks

IDENTIFIERS = ["mia.member", "mia.member@acme.test", "ghost", "ghost@acme.test", "otto.outsider"]


@pytest.fixture(autouse=True)
def _fresh_counters(db: Any) -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def ask(identifier: str, ip: str = "10.20.0.1") -> Any:
    return Client().post("/o/acme/password/reset/", {"identifier": identifier}, REMOTE_ADDR=ip)


def resets_mailed(**filters: Any) -> int:
    return OutboundEmail.objects.filter(kind="password_reset", **filters).count()


def test_reset_request_does_the_same_work_in_the_request_whatever_the_account(
    org: Any, member: Any, outsider: Any, admin: Any
) -> None:
    """No account is looked up while the visitor waits: nothing to time, nothing to compare."""
    member_deactivate(actor=admin, member=outsider)
    ask("warm-up")  # the client address's hourly counter exists from now on, for every identifier
    seen: dict[str, tuple[list[str], str]] = {}
    for identifier in IDENTIFIERS:
        with CaptureQueriesContext(connection) as queries:
            response = ask(identifier)
        assert response.status_code == 200
        sql = [q["sql"] for q in queries.captured_queries]
        assert not any("accounts_member" in s for s in sql), (identifier, sql)
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        # Same statements (values aside) and the same page for every identifier.
        # (Savepoint names are numbered per connection: not a shape.)
        shapes = [re.sub(r"'[^']*'|\b\d+\b|\"s\d+_x\d+\"", "?", s) for s in sql]
        seen[identifier] = (shapes, body)
    first = next(iter(seen.values()))
    for identifier, answer in seen.items():
        assert answer == first, identifier
    assert "If an active account matches" in first[1]


@pytest.mark.django_db(transaction=True)
def test_worker_mails_the_link_only_to_an_active_account(
    org: Any, admin: Any, member: Any, outsider: Any
) -> None:
    member_deactivate(actor=admin, member=outsider)
    for identifier in IDENTIFIERS:
        ask(identifier)
    assert resets_mailed() == 0  # nothing happened in the requests themselves
    run_queued_tasks()
    assert resets_mailed(member=member) == 2  # by login and by e-mail
    assert resets_mailed(member=outsider) == 0  # deactivated: nothing is mailed
    assert resets_mailed() == 2


@pytest.mark.django_db(transaction=True)
def test_reset_mails_to_one_address_are_limited_per_hour(org: Any, member: Any) -> None:
    from django.conf import settings

    limit = settings.EQUIPAGE_PASSWORD_MAILS_PER_ADDRESS
    # From as many client addresses as the attacker likes: the mailbox limit holds.
    for i in range(limit + 5):
        ask(member.email, ip=f"10.30.0.{i}")
    run_queued_tasks()
    assert resets_mailed(member=member) == limit


def test_reset_requests_from_one_client_address_are_limited_per_hour(org: Any, member: Any) -> None:
    from django.conf import settings
    from django_tasks_db.models import DBTaskResult

    limit = settings.EQUIPAGE_PASSWORD_RESETS_PER_CLIENT
    for i in range(limit + 5):
        response = ask(f"someone-{i}", ip="10.40.0.1")
        # Over the limit the answer does not change: the request is just not queued.
        assert (
            response.status_code == 200
            and "If an active account matches" in response.content.decode()
        )
    assert DBTaskResult.objects.count() == limit
    ask(member.login, ip="10.40.0.2")
    assert DBTaskResult.objects.count() == limit + 1


@pytest.mark.django_db(transaction=True)
def test_the_queued_reset_link_works_once(org: Any, member: Any) -> None:
    ask(member.login)
    run_queued_tasks()
    body = OutboundEmail.objects.get(kind="password_reset").body_text
    path = "/o/acme/password/set/" + body.split("/password/set/")[1].split("/")[0] + "/"
    new = {"new_password1": "Back-again-2026!", "new_password2": "Back-again-2026!"}
    assert Client().post(path, new).status_code == 302
    assert Client().post(path, new).status_code == 410


def test_a_reset_mail_queued_before_a_deactivation_is_never_sent(
    org: Any, admin: Any, member: Any
) -> None:
    from django.core import mail

    from equipage.accounts.actions import password_reset_request
    from equipage.emails.outbox import deliver
    from equipage.permissions import Origin

    password_reset_request(organization=org, identifier=member.login, origin=Origin("test"))
    queued = OutboundEmail.objects.get(member=member, kind="password_reset")
    member_deactivate(actor=admin, member=member)
    assert deliver(queued.pk) is False
    queued.refresh_from_db()
    assert queued.status == "failed" and "deactivated" in queued.last_error
    assert not [m for m in mail.outbox if member.email in m.to]
