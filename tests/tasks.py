"""Run the background tasks queued so far with the real database worker, then return."""

from __future__ import annotations

from django.core.management import call_command


def run_queued_tasks() -> None:
    """Process every task waiting in the database queue, as ``equipage worker --once`` does."""
    call_command(
        "db_worker", queue_name="*", batch=True, reload=False, startup_delay=False, verbosity=0
    )


def clear_cache() -> None:
    """Forget the cache's counters (hourly mail limits) so each test starts from none."""
    from django.core.cache import cache

    cache.clear()
