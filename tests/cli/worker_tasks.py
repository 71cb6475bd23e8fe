"""A task that holds a worker for as long as a test wants.

``hold`` writes "started" to MARKER, then waits SECONDS (or until a file
MARKER.release appears), then writes "finished" and returns. Queue it from a
subprocess with ``python -m tests.cli.task_queue`` (see there).
"""

from __future__ import annotations

import time
from pathlib import Path

from django.tasks import task


@task()
def hold(marker: str, seconds: float) -> str:
    path = Path(marker)
    path.write_text("started")
    release = Path(marker + ".release")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not release.exists():
        time.sleep(0.05)
    path.write_text("finished")
    return "held"
