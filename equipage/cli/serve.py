"""``equipage serve``: the web app (gunicorn) and the background worker, together.

The worker runs as a child process (``equipage worker``), watched by a thread
of ``serve``: when it dies it is started again after a growing delay, and
both are logged. ``--no-worker`` serves the web app alone, for web nodes of a
cluster whose workers run as ``equipage worker`` elsewhere.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from equipage.cli.bootstrap import out, setup_django, show_lifecycle_logs

log = logging.getLogger(__name__)

# Delays before starting a dead worker again: 1 s, 2 s, 4 s ... 60 s; back to
# 1 s once a worker has lived STABLE_SECONDS.
RESTART_FIRST, RESTART_MAX, STABLE_SECONDS = 1.0, 60.0, 60.0
# Threads per web process: a second thread serves while the first waits on the database or
# the client; more only contend for the process's GIL (#20).
DEFAULT_THREADS = 2
# Beyond the worker's grace period, what it may take to record and exit.
STOP_MARGIN_SECONDS = 10.0


def register(sub: Any, groups: dict[str, Any]) -> None:
    parser = sub.add_parser("serve", help="run the web app and the worker")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("EQUIPAGE_WEB_WORKERS", "0")) or default_workers(),
        help="web processes (default: one per core, at least 2; EQUIPAGE_WEB_WORKERS)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("EQUIPAGE_WEB_THREADS", str(DEFAULT_THREADS))),
        help=f"threads per web process (default {DEFAULT_THREADS}; EQUIPAGE_WEB_THREADS)",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="serve the web app only (run `equipage worker` elsewhere)",
    )
    parser.set_defaults(handler=serve, needs_django=False)


def serve(args: argparse.Namespace) -> int:
    # Links in mails point at the address we listen on unless told otherwise.
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    os.environ.setdefault("EQUIPAGE_BASE_URL", f"http://{shown_host}:{args.port}")
    setup_django()
    from django.conf import settings
    from gunicorn.app.base import BaseApplication

    from equipage.wsgi import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", max(args.workers, 1))
            self.cfg.set("threads", max(args.threads, 1))
            # The app is imported and warmed once, here, before the fork (preload_app):
            # no worker spends its first requests importing the URL conf and the API
            # schemas while its connections wait (the login page's 1.2 s tail, #20).
            self.cfg.set("preload_app", True)
            # A process takes no more connections than twice its threads: gthread's accept
            # loop otherwise lets the first process awake take every keep-alive connection
            # (8 of 8 under wrk) while the other cores' processes idle (#20). Beyond it,
            # keep-alive is refused, so clients reconnect to a process with room.
            self.cfg.set("worker_connections", connections_per_worker(args.threads))
            self.cfg.set("timeout", 120)
            # X-Forwarded-* are Django's to judge (EQUIPAGE_TRUSTED_PROXIES), never gunicorn's.
            self.cfg.set("forwarded_allow_ips", "")
            self.cfg.set("limit_request_line", settings.EQUIPAGE_REQUEST_LINE_LIMIT)
            self.cfg.set("accesslog", "-" if os.environ.get("EQUIPAGE_ACCESS_LOG") else None)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn >= 25 opens a control socket in $HOME, shared by every
                # serve of a machine and refused by a sandboxed service: not used.
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            warm_up()
            return application

    from django.db import connections

    from equipage.instance.links import listening_address_record

    listening_address_record(f"http://{shown_host}:{args.port}")
    # Gunicorn forks its web workers from this process: none may inherit a connection.
    connections.close_all()
    show_lifecycle_logs()
    worker = None if args.no_worker else EmbeddedWorker(settings.EQUIPAGE_WORKER_GRACE_SECONDS)
    if worker is not None:
        worker.start()
    out(f"Equipage listening on http://{shown_host}:{args.port}/ (data: {settings.DATA_DIR})")
    if not settings.EQUIPAGE_MAIL_CONFIGURED:
        out(
            f"Mail is not configured (EQUIPAGE_SMTP_URL): mails are written to {settings.DATA_DIR / 'mail'}"
        )
    try:
        Server().run()
    finally:
        if worker is not None:
            worker.stop()
    return 0


class EmbeddedWorker:
    """``equipage worker`` as a child process, started again whenever it dies.

    The child runs in a session of its own, so a Ctrl+C in the terminal reaches
    ``serve`` only, which then stops the worker gracefully; the child also stops
    by itself if ``serve`` is gone (``--parent-pid``).

    Gunicorn's arbiter reaps every child of the process, so the worker's exit
    status may be unknown (reported as such); its death is seen all the same.
    """

    def __init__(self, grace: float):
        self.grace = grace
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.spawn()
        threading.Thread(target=self.watch, name="worker-watch", daemon=True).start()

    def spawn(self) -> None:
        with self.lock:
            if self.stopping.is_set():
                return
            self.process = subprocess.Popen(  # noqa: S603 - this very program, fixed arguments
                [sys.executable, "-m", "equipage", "worker", "--parent-pid", str(os.getpid())],
                env=os.environ.copy(),
                start_new_session=True,
            )
            log.info("embedded worker started (pid %d)", self.process.pid)

    def watch(self) -> None:
        delay = 0.0
        while not self.stopping.is_set():
            started = time.monotonic()
            process = self.process
            while process is not None and process.poll() is None:
                if self.stopping.wait(0.5):
                    return
            if self.stopping.is_set():
                return
            lived = time.monotonic() - started
            delay = (
                RESTART_FIRST
                if lived >= STABLE_SECONDS
                else min(max(delay * 2, RESTART_FIRST), RESTART_MAX)
            )
            if process is not None:
                log.warning(
                    "embedded worker (pid %d) exited (%s) after %.0f s; starting it again in %g s",
                    process.pid,
                    describe_exit(process.returncode),
                    lived,
                    delay,
                )
            if self.stopping.wait(delay):
                return
            try:
                self.spawn()
            except OSError as exc:  # no process could be started (memory, pids): later
                log.error("could not start the embedded worker: %s", exc)
                self.process = None

    def stop(self) -> None:
        """Ask the worker to stop and wait for it: its running task has the grace period."""
        with self.lock:
            self.stopping.set()
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=self.grace + STOP_MARGIN_SECONDS)
        except subprocess.TimeoutExpired:
            log.error("embedded worker (pid %d) did not stop in time: killed", process.pid)
            process.kill()
            process.wait()


def connections_per_worker(threads: int) -> int:
    return max(threads, 1) * 2


def default_workers() -> int:
    """One web process per core, at least two (so that one slow request never blocks all)."""
    return max(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2, 2)


def warm_up() -> None:
    """Import and build everything a first request would, then freeze it out of the GC.

    Runs in gunicorn's arbiter before the web processes are forked: they share
    these pages, and ``gc.freeze`` keeps the collector from walking (and
    copying) the hundreds of thousands of objects of Django, the URL conf and
    the API's schemas at each full collection, a pause every request waiting
    on that process shares.
    """
    import gc

    from django.db import connections
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every view module and builds the API
    resolver._populate()
    connections.close_all()
    gc.collect()
    gc.freeze()


def describe_exit(code: int | None) -> str:
    if code is None:
        return "status unknown"
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    # 0 is also what a child reaped by gunicorn before us reports.
    return f"status {code}" if code else "status 0 or unknown"
