"""A working job's progress and heartbeat, published on the job's row by a thread of its own.

The import reports its progress from inside its work, and an apply works
inside one transaction: what it wrote there would stay invisible until the
end. A thread of its own has its own database connection, so the latest
progress it publishes every second is seen at once by any node's page and
API, and its timestamp is the heartbeat that housekeeping watches: a job
whose heartbeat stopped for ``vanished_seconds()`` lost its worker.

On SQLite the apply holds the write lock for its whole transaction: the
thread's writes to the row then wait a second and give up until the next
beat (the job's process is on the same machine, and housekeeping checks that
it still runs before ending the job). So that the page still moves, the
progress is also written to a small file beside the database file, which
every process using that database reaches (``side_progress``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

from equipage.core import clock
from equipage.imports.models import ImportJob

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

PROGRESS_SECONDS = 1.0  # how often a change of progress is published
HEARTBEAT_SECONDS = 5.0  # how often the row says the job is alive, progress or not


def vanished_seconds() -> int:
    """Return how long a working job may stay silent before it is deemed to have lost its worker.

    ``EQUIPAGE_IMPORT_HEARTBEAT_TIMEOUT`` (seconds, 120 by default, 15 at least:
    three missed beats).
    """
    return max(15, int(getattr(settings, "EQUIPAGE_IMPORT_HEARTBEAT_TIMEOUT", 120)))


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


def _side_folder() -> Path | None:
    """Return the folder beside an SQLite database file (None on PostgreSQL or in memory)."""
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    db = Path(name)
    return db.with_name(db.name + "-imports")


def _side_file(job_id: int) -> Path | None:
    folder = _side_folder()
    return folder / f"progress-{job_id}.json" if folder is not None else None


def write_side(job_id: int, phase: str, done: int, total: int) -> None:
    """On SQLite, write a job's progress beside the database (atomically replaced)."""
    path = _side_file(job_id)
    if path is None:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {"phase": phase, "done": done, "total": total, "at": clock.now().timestamp()}
            )
        )
        os.replace(tmp, path)


def side_progress(job_id: int) -> dict[str, Any] | None:
    """Return the progress written beside an SQLite database, if any (with its ``at`` time)."""
    path = _side_file(job_id)
    if path is None:
        return None
    try:
        found: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found


def forget_side(job_id: int) -> None:
    """Remove the progress written beside the database once the job ends."""
    path = _side_file(job_id)
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()


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
                if latest != self._published:
                    write_side(self.job_id, *latest)  # seen at once, even under a write lock
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
