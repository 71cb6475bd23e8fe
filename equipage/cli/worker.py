"""``equipage worker``: runs background tasks and the periodic housekeeping."""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


def register(sub: Any, groups: dict[str, Any]) -> None:
    parser = sub.add_parser("worker", help="run the background worker alone")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--once", action="store_true", help="run what is due, then exit")
    parser.set_defaults(handler=worker)


def worker(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from equipage.core.housekeeping import run_periodic

    if args.once:
        run_periodic()
        call_command(
            "db_worker", queue_name="*", batch=True, reload=False, startup_delay=False, verbosity=0
        )
        return 0
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                run_periodic()
            except Exception:
                log.exception("housekeeping failed; trying again later")
            stop.wait(30)

    threading.Thread(target=loop, name="housekeeping", daemon=True).start()
    try:
        call_command(
            "db_worker",
            queue_name="*",
            interval=args.interval,
            reload=False,
            startup_delay=False,
            verbosity=1,
        )
    finally:
        stop.set()
    return 0
