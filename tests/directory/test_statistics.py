"""SQLite's planner gets statistics, so id lookups stay on the primary key at any size."""

from __future__ import annotations

import pytest
from django.db import connection

from equipage.accounts.models import Member
from equipage.core import clock
from equipage.directory import statistics


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return " ".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
def test_refresh_statistics_keeps_lookups_by_id_on_the_primary_key(org) -> None:
    now = clock.now()
    # A large organization (rows written directly: this is the planner's input, not a use case).
    Member.objects.bulk_create(
        Member(
            organization=org, login=f"m{i}", last_name=f"Martin{i}", created_at=now, updated_at=now
        )
        for i in range(2000)
    )
    ids = list(Member.objects.filter(organization=org).values_list("pk", flat=True))[:3]
    sql = str(Member.objects.filter(organization=org, pk__in=ids).values_list("pk").query)
    did = statistics.refresh_statistics()
    if connection.vendor != "sqlite":
        assert did is False  # autovacuum's job on PostgreSQL
        return
    assert did is True
    assert "PRIMARY KEY" in _plan(sql)


@pytest.mark.django_db
def test_housekeeping_refreshes_statistics_at_most_once_per_interval(org, monkeypatch) -> None:
    monkeypatch.setattr(statistics, "_last_refresh", 0.0)
    first = statistics.refresh_statistics_now_and_then()
    second = statistics.refresh_statistics_now_and_then()
    assert first is (connection.vendor == "sqlite")
    assert second is False
