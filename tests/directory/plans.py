"""Check that a query on members walks the directory's name index in order, without a sort."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

INDEX = "directory_member_name_cover"


@contextmanager
def captured() -> Iterator[CaptureQueriesContext]:
    """Capture the SQL run inside the block, parameters inlined (Django's debug cursor)."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx


def name_query(ctx: CaptureQueriesContext) -> str:
    """Return the one captured member query ordered by name (the listing's page)."""
    found = [
        q["sql"]
        for q in ctx.captured_queries
        if 'FROM "accounts_member"' in q["sql"] and "ORDER BY" in q["sql"] and "eq_name" in q["sql"]
    ]
    assert len(found) == 1, found
    return found[0]


def plan_of(sql: str) -> str:
    """Return the plan of ``sql``; on PostgreSQL with sorts and sequential scans discouraged.

    A test table holds a few dozen rows, where PostgreSQL rightly prefers to sort:
    the question here is whether the name index CAN give the order, as it will
    at a million rows.
    """
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"EXPLAIN QUERY PLAN {sql}")
            return " | ".join(str(r[-1]) for r in cur.fetchall())
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute(f"EXPLAIN {sql}")
        plan = " | ".join(r[0] for r in cur.fetchall())
        cur.execute("RESET enable_seqscan")
        cur.execute("RESET enable_sort")
        return plan


def assert_walks_name_index(sql: str, *, seek: bool = False) -> str:
    """Assert the query reads the name index in its order (and seeks into it after a cursor)."""
    plan = plan_of(sql)
    assert INDEX in plan, plan
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
        if seek:
            assert f"{INDEX} (organization_id=? AND <expr>>?)" in plan, plan
    else:
        assert "Sort" not in plan.replace("Sort Key", ""), plan
        if seek:
            assert "Index Cond" in plan or "Index Only Scan" in plan, plan
    return plan
