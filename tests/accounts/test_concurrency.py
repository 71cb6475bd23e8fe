"""Concurrent admins cannot break the invariants: one owner, seats never exceeded.

These run on both engines: PostgreSQL serialises through row locks
(``SELECT ... FOR UPDATE`` on the organization), SQLite through IMMEDIATE
write transactions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from equipage.accounts.actions import (
    member_create,
    ownership_transfer_accept,
    ownership_transfer_start,
)
from equipage.accounts.models import Member, MemberRole, MemberState
from equipage.core.errors import DomainError, SeatLimitExceeded
from equipage.organizations.actions import organization_update
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)


def race(*fns: Callable[[], Any]) -> list[Any]:
    """Run the functions at the same moment in threads; return each result or exception."""
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [None] * len(fns)

    def run(i: int, fn: Callable[[], Any]) -> None:
        from django.db import connections

        barrier.wait()
        try:
            results[i] = fn()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_concurrent_ownership_transfers_leave_exactly_one_owner(org: Any, owner: Any) -> None:
    a = make_member(org, owner, "Alice", "Admin", ["admin"])
    b = make_member(org, owner, "Bob", "Admin", ["admin"])
    t1 = ownership_transfer_start(actor=owner, to_member=a)
    # Starting a second transfer cancels the first; force both pending to race the accepts.
    from equipage.accounts.models import OwnershipTransfer

    t2 = ownership_transfer_start(actor=owner, to_member=b)
    OwnershipTransfer.objects.filter(pk=t1.pk).update(status="pending")
    results = race(
        lambda: ownership_transfer_accept(actor=Member.objects.get(pk=a.pk), transfer=t1),
        lambda: ownership_transfer_accept(actor=Member.objects.get(pk=b.pk), transfer=t2),
    )
    owners = list(
        MemberRole.objects.filter(organization=org, role="owner").values_list(
            "member_id", flat=True
        )
    )
    assert len(owners) == 1
    assert owners[0] in (a.pk, b.pk)
    assert sum(1 for r in results if isinstance(r, DomainError)) == 1, results


def test_two_concurrent_creations_for_the_last_seat_leave_seats_unexceeded(
    org: Any, owner: Any
) -> None:
    organization_update(actor=owner, organization=org, seats=2)

    def create(name: str) -> Any:
        return member_create(
            actor=Member.objects.get(pk=owner.pk),
            organization=org,
            first_name=name,
            last_name="Racer",
        )

    results = race(lambda: create("Un"), lambda: create("Deux"))
    active = Member.objects.filter(organization=org, state=MemberState.ACTIVE).count()
    assert active == 2
    assert sum(1 for r in results if isinstance(r, SeatLimitExceeded)) == 1, results


def test_the_database_itself_refuses_a_second_owner(org: Any, owner: Any) -> None:
    from django.db import IntegrityError

    other = make_member(org, owner, "Sneaky", "Second")
    with pytest.raises(IntegrityError):
        MemberRole.objects.create(organization=org, member=other, role="owner")
    assert connection.vendor in ("sqlite", "postgresql")
