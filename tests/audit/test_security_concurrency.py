"""Concurrent floods of invalid tokens still make one counted audit row per address and minute.

Runs on both engines: the first writers of a minute race on the tally's unique key
(PostgreSQL: the loser's savepoint rolls back and it adds to the winner's row; SQLite:
IMMEDIATE write transactions serialise them).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.accounts.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_clients_flooding_at_once_leave_one_row_with_every_attempt_counted(
    org: Any, frozen_clock: Any
) -> None:
    from equipage.audit.models import AuditEvent, SecurityTally

    def flood() -> list[int]:
        client = Client(REMOTE_ADDR="192.0.2.9")
        return [
            client.get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer eqp_x{i}").status_code
            for i in range(10)
        ]

    results = race(*[flood for _ in range(8)])
    assert results == [[401] * 10] * 8, results
    (event,) = AuditEvent.objects.filter(event_type="security.token_rejected")
    assert event.after["count"] == 80
    assert SecurityTally.objects.get().count == 80
