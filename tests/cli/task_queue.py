"""Queue ``worker_tasks.hold`` or read a task's status, on the database the environment names.

``python -m tests.cli.task_queue enqueue MARKER SECONDS [query]`` prints the new task's id;
``python -m tests.cli.task_queue status ID`` prints its status and worker ids as JSON.
Run as a subprocess next to ``equipage worker`` processes, like any other command.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from equipage.cli.bootstrap import setup_django

    setup_django()
    from django_tasks_db.models import DBTaskResult

    from tests.cli.worker_tasks import hold

    if argv[0] == "enqueue":
        print(hold.enqueue(argv[1], float(argv[2]), query=argv[3:] == ["query"]).id)
    else:
        found = DBTaskResult.objects.get(pk=argv[1])
        print(json.dumps({"status": found.status, "worker_ids": found.worker_ids}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
