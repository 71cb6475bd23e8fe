"""Claiming queued rows (outbox mails, webhook deliveries) under a lease kept alive by a heartbeat.

A row is *queued* (waiting for ``next_attempt_at``), *sending* (claimed: a
worker holds it until ``lease_until``), then done — or queued again after a
failure. A claim is one short ``UPDATE … WHERE claimable`` in autocommit, so
two workers never both hold a live claim and no transaction stays open while
the network is used. While it sends, the holder renews the lease every
quarter of its length from a heartbeat thread; a worker that dies stops
renewing, and once the lease has run out any worker may claim the row again
(at-least-once: whatever was possibly sent is sent again, identically).

The claim token fences late writers: a worker whose lease ran out can no
longer reschedule or fail the row under its new holder. Success is recorded
whoever holds the row, because the receiver's acceptance is a fact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, models
from django.db.models import Q

from equipage.core import clock

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 60
# A holder stops renewing after this long: a stuck sender then loses its row.
MAX_HOLD = dt.timedelta(minutes=10)
# A due row whose task has not taken it after this long lost its task.
LOST_AFTER = dt.timedelta(minutes=1)


def lease_length() -> dt.timedelta:
    """Return how long a claim holds without a heartbeat (``EQUIPAGE_QUEUE_LEASE_SECONDS``)."""
    seconds = float(getattr(settings, "EQUIPAGE_QUEUE_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    return dt.timedelta(seconds=max(seconds, 1.0))


@dataclass(frozen=True)
class LeasedQueue:
    """The claim rules of one model with ``status``, ``next_attempt_at``, ``claimed_at``,
    ``lease_until`` and ``claim_token`` fields."""

    model: type[models.Model]
    queued: str
    sending: str
    done: str
    max_backoff: dt.timedelta = dt.timedelta(hours=1)

    def backoff(self, attempts: int) -> dt.timedelta:
        """Return the wait before the next try: 30 s, 1 min, 2 min, ... capped at ``max_backoff``."""
        return min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), self.max_backoff)

    def claimable(self, now: dt.datetime) -> Q:
        return Q(status=self.queued, next_attempt_at__lte=now) | Q(
            status=self.sending, lease_until__lt=now
        )

    def due_ids(self, limit: int = 500) -> list[int]:
        """Return ids of rows that may be claimed now, the longest waiting first."""
        return list(
            self.model._default_manager.filter(self.claimable(clock.now()))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )

    def lost_ids(self, limit: int = 1000, *, grace: dt.timedelta = LOST_AFTER) -> list[int]:
        """Return ids no task is coming for: due for longer than ``grace`` (the task was
        lost) or whose lease lapsed (the worker died, possibly while sending)."""
        now = clock.now()
        return list(
            self.model._default_manager.filter(
                Q(status=self.queued, next_attempt_at__lte=now - grace)
                | Q(status=self.sending, lease_until__lt=now)
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )

    def claim(self, pk: int) -> Claim | None:
        """Take row ``pk`` if nobody holds a live lease on it; ``None`` when it is not ours."""
        now = clock.now()
        token = secrets.token_hex(16)
        fields: dict[str, Any] = {
            "status": self.sending,
            "claim_token": token,
            "claimed_at": now,
            "lease_until": now + lease_length(),
        }
        rows = self.model._default_manager.filter(pk=pk)
        if rows.filter(status=self.queued, next_attempt_at__lte=now).update(**fields):
            return Claim(self, pk, token, resumed=False)
        # A lapsed lease: its holder vanished, possibly after the receiver accepted.
        if rows.filter(status=self.sending, lease_until__lt=now).update(**fields):
            return Claim(self, pk, token, resumed=True)
        return None


@dataclass(frozen=True)
class Claim:
    """A live hold on one row, proved by its token."""

    queue: LeasedQueue
    pk: int
    token: str
    resumed: bool

    def _rows(self) -> models.QuerySet[Any]:
        return self.queue.model._default_manager.filter(pk=self.pk)

    def succeed(self, **fields: Any) -> bool:
        """Record the success now, even if the lease was lost meanwhile; tell if this did it."""
        return bool(
            self._rows()
            .exclude(status=self.queue.done)
            .update(status=self.queue.done, claim_token="", lease_until=None, **fields)
        )

    def release(self, **fields: Any) -> bool:
        """End the hold with ``fields`` (a retry date, a failure); nothing if the lease was lost."""
        return bool(
            self._rows()
            .filter(status=self.queue.sending, claim_token=self.token)
            .update(claim_token="", lease_until=None, **fields)
        )

    def renew(self) -> bool:
        """Push the lease end forward; tell whether the hold is still ours."""
        return bool(
            self._rows()
            .filter(status=self.queue.sending, claim_token=self.token)
            .update(lease_until=clock.now() + lease_length())
        )

    @contextlib.contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Renew the lease from a thread while the body runs (for at most ``MAX_HOLD``)."""
        stop = threading.Event()
        interval = lease_length().total_seconds() / 4
        beats = int(MAX_HOLD.total_seconds() // interval)

        def beat() -> None:
            try:
                for _ in range(beats):
                    if stop.wait(interval) or not self.renew():
                        return
            except Exception:
                # The database is away: the lease may lapse and the row be retried.
                log.warning(
                    "could not renew the lease of %s %s", self.queue.model.__name__, self.pk
                )
            finally:
                connections.close_all()

        thread = threading.Thread(target=beat, name=f"lease-{self.pk}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            # Never wait long for a heartbeat stuck on the database: its writes are fenced.
            thread.join(timeout=2)
