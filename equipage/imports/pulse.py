"""A working job's progress and heartbeat, published on the job's row by a thread of its own.

The import reports its progress from inside its work, and an apply works
inside one transaction: what it wrote there would stay invisible until the
end. A thread of its own has its own database connection, so the latest
progress it publishes every second is seen at once by any node's page and
API, and its timestamp is the heartbeat that housekeeping watches: a job
whose heartbeat stopped for ``VANISHED_SECONDS`` lost its worker.

On SQLite the apply holds the write lock for its whole transaction: the
thread's writes then wait a second and give up until the next beat (the
job's process is on the same machine, and housekeeping checks that it still
runs before ending the job).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from django.db import DatabaseError, connection

from equipage.core import clock
from equipage.imports.models import ImportJob

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

PROGRESS_SECONDS = 1.0  # how often a change of progress is published
HEARTBEAT_SECONDS = 5.0  # how often the row says the job is alive, progress or not
VANISHED_SECONDS = 120  # a working job silent this long has lost its worker


def publish(job_id: int, phase: str, done: int, total: int, beat: bool = True) -> None:
    """Write a job's progress (and heartbeat) on its row, now."""
    fields: dict[str, object] = {
        "progress_phase": phase[:12],
        "progress_done": done,
        "progress_total": total,
    }
    if beat:
        fields["heartbeat_at"] = clock.now()
    ImportJob.objects.filter(pk=job_id).update(**fields)


class Pulse:
    """The progress callback of a job at work, and the thread that publishes it.

    Use as a context manager around the work; call it as the import's
    ``progress``. ``forward`` also receives every call (the CLI prints them).
    """

    def __init__(self, job_id: int, forward: Progress | None = None) -> None:
        self.job_id = job_id
        self.forward = forward
        self.latest: tuple[str, int, int] = ("read", 0, 0)
        self._published: tuple[str, int, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"import-{job_id}", daemon=True)

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.latest = (phase, done, total)  # one assignment: the thread reads whole tuples
        if self.forward is not None:
            self.forward(phase, done, total)

    def __enter__(self) -> Pulse:
        publish(self.job_id, *self.latest)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            if connection.vendor == "sqlite":
                # Wait a second for the write lock at most: the next beat tries again.
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 1000")
            since_beat = 0.0
            while not self._stop.wait(PROGRESS_SECONDS):
                since_beat += PROGRESS_SECONDS
                latest = self.latest
                if latest == self._published and since_beat < HEARTBEAT_SECONDS:
                    continue
                try:
                    publish(self.job_id, *latest)
                except DatabaseError as exc:  # locked, or the database restarting: next beat
                    log.debug("import %s: progress not published (%s)", self.job_id, exc)
                    connection.close_if_unusable_or_obsolete()
                    continue
                self._published, since_beat = latest, 0.0
        except DatabaseError as exc:
            log.debug("import %s: heartbeat stopped (%s)", self.job_id, exc)
        finally:
            connection.close()
