"""Keep SQLite's query planner informed of the tables' sizes.

SQLite never gathers statistics by itself. Without them it takes any index on
``organization_id`` for a selective one, and a lookup of 50 members by id in a
million-member organization walks the whole organization (80 ms) instead of
fetching 50 rows by primary key (0.2 ms). ``ANALYZE`` with an analysis limit
samples each index (tens of milliseconds at a million rows) and is enough to
set the planner right. PostgreSQL's autovacuum already does this.
"""

from __future__ import annotations

import time

from django.db import connection

from equipage.core.housekeeping import periodic

# Rows sampled per index; statistics need orders of magnitude, not counts.
ANALYSIS_LIMIT = 1000
# At most one refresh per process this often, from the worker's housekeeping round.
REFRESH_EVERY_SECONDS = 600.0
_last_refresh = 0.0


def refresh_statistics() -> bool:
    """Sample the tables for SQLite's planner; returns whether anything was done."""
    global _last_refresh
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    _last_refresh = time.monotonic()
    return True


@periodic
def refresh_statistics_now_and_then() -> bool:
    """Refresh the planner's statistics when the last refresh is old enough."""
    if _last_refresh and time.monotonic() - _last_refresh < REFRESH_EVERY_SECONDS:
        return False
    return refresh_statistics()
