"""Seats count active members exactly, whatever wrote them (PostgreSQL keeps the count by trigger)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from equipage.accounts.actions import (
    members_deactivate,
    members_delete,
    members_reactivate,
)
from equipage.accounts.models import Member, MemberState
from equipage.core import clock
from equipage.organizations.selectors import active_member_count, seat_usage
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def _real(org: Any) -> int:
    return Member.objects.filter(organization=org, state=MemberState.ACTIVE).count()


def test_active_count_follows_creation_deactivation_reactivation_and_deletion(
    org: Any, owner: Any, other_org: Any, other_owner: Any
) -> None:
    people = [make_member(org, owner, "Lea", f"Martin{i}") for i in range(5)]
    make_member(other_org, other_owner, "Gina", "Globex")
    assert active_member_count(org.pk) == _real(org) == 6  # the owner and five
    members_deactivate(actor=owner, organization=org, members=people[:3])
    assert active_member_count(org.pk) == _real(org) == 3
    members_reactivate(actor=owner, organization=org, members=people[:1])
    assert active_member_count(org.pk) == _real(org) == 4
    members_delete(actor=owner, organization=org, members=people[3:])
    assert active_member_count(org.pk) == _real(org) == 2
    assert active_member_count(other_org.pk) == _real(other_org) == 2
    assert seat_usage(org).active == 2


def test_active_count_follows_writes_made_outside_the_actions(org: Any, owner: Any) -> None:
    # Raw SQL stands for any writer the actions do not see (an import's bulk
    # statements, a maintenance script): the database keeps the count itself.
    now = clock.now()
    Member.objects.bulk_create(
        Member(organization=org, login=f"raw{i}", state=MemberState.ACTIVE, created_at=now,
               updated_at=now)
        for i in range(4)
    )  # fmt: skip
    assert active_member_count(org.pk) == _real(org) == 5
    Member.objects.filter(organization=org, login__startswith="raw").update(
        state=MemberState.INVITED
    )
    assert active_member_count(org.pk) == _real(org) == 1


def test_an_organization_without_members_counts_zero(org: Any) -> None:
    Member.objects.filter(organization=org).delete()
    assert active_member_count(org.pk) == 0


def test_postgres_updates_a_deactivated_member_in_place() -> None:
    """On PostgreSQL a state change touches no index (a HOT update); SQLite indexes the state."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA index_info('member_org_state')")
            assert [row[2] for row in cursor.fetchall()] == ["organization_id", "state"]
            return
        cursor.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)"
            " WHERE x.indrelid = 'accounts_member'::regclass AND a.attname IN"
            " ('state', 'updated_at', 'deactivated_at', 'activated_at', 'session_version')"
        )
        assert cursor.fetchall() == []
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'accounts_member'")
        assert "fillfactor=50" in cursor.fetchone()[0]
