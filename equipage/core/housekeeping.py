"""Periodic jobs run by every worker: lost mails, auto-deletion dates, expiries.

Each job is idempotent and safe to run from several workers at once. This
module is a registry on the ground floor: each domain registers its own jobs
with ``@periodic`` when its AppConfig is ready, so ``core`` never imports a
domain package.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import close_old_connections

log = logging.getLogger(__name__)

PERIODIC_JOBS: list[Callable[[], object]] = []


def periodic(fn: Callable[[], object]) -> Callable[[], object]:
    """Register ``fn`` to run on every housekeeping round."""
    PERIODIC_JOBS.append(fn)
    return fn


def run_periodic() -> None:
    close_old_connections()
    for job in PERIODIC_JOBS:
        try:
            job()
        except Exception:
            log.exception("periodic job %s failed", job.__name__)


@periodic
def delete_expired_cache_entries() -> int:
    """Delete rows of the shared database cache whose time is up.

    Django deletes them only when the table is full or a key is read again;
    rate-limit windows are never read again once their minute is over.
    """
    from django.utils import timezone

    from equipage.core.models import CacheEntry

    return CacheEntry.objects.filter(expires__lt=timezone.now()).delete()[0]
