"""A task that holds a worker for as long as a test wants.

``hold`` adds a line "started" to MARKER, then waits SECONDS (or until a file
MARKER.release appears), querying the database all along when ``query``,
then adds "finished" and returns. Queue it from a subprocess with
``python -m tests.cli.task_queue`` (see there).
"""

from __future__ import annotations

import time
from pathlib import Path

from django.db import connection
from django.tasks import task


@task()
def hold(marker: str, seconds: float, query: bool = False) -> str:
    path = Path(marker)
    with path.open("a") as out:
        out.write("started\n")
    release = Path(marker + ".release")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not release.exists():
        if query:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        time.sleep(0.05)
    with path.open("a") as out:
        out.write("finished\n")
    return "held"
