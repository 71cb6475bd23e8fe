"""Housekeeping's every-30-seconds questions read small partial indexes, not the roster.

At a million members the question « whose auto-deletion date has come? » walked
every row on SQLite (2 s of CPU every 30 s on a web node running its worker,
behind the slow tail of the requests it served, #20).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_member
from tests.directory.plans import plan_of

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["unsampled", "sampled"])
def statistics(request: pytest.FixtureRequest) -> str:
    """Plan before and after SQLite's statistics of a small table (the worker samples them)."""
    return str(request.param)


def _plans(job: Any, statistics: str) -> list[str]:
    from django.db import connection

    from equipage.directory.statistics import refresh_statistics

    if statistics == "sampled":
        refresh_statistics()
    with CaptureQueriesContext(connection) as ctx:
        job()
    return [plan_of(q["sql"]) for q in ctx.captured_queries if q["sql"].startswith("SELECT")]


def test_the_due_auto_deletions_are_found_through_their_partial_index(
    org: Any, owner: Any, statistics: str
) -> None:
    from equipage.accounts.housekeeping import delete_due_members

    make_member(org, owner, "Mia", "Member", login="mia", email="mia@acme.test")
    plans = _plans(delete_due_members, statistics)
    assert any("member_auto_delete_due" in p for p in plans), plans
    for plan in plans:
        assert "SCAN accounts_member" not in plan and "Seq Scan on accounts_member" not in plan


def test_the_bins_are_found_through_their_partial_index(
    org: Any, owner: Any, statistics: str
) -> None:
    from equipage.accounts.housekeeping import empty_bins

    make_member(org, owner, "Mia", "Member", login="mia", email="mia@acme.test")
    plans = _plans(empty_bins, statistics)
    assert any("member_binned_since" in p for p in plans), plans
    for plan in plans:
        assert "SCAN accounts_member" not in plan and "Seq Scan on accounts_member" not in plan
