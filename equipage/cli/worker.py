"""``equipage worker``: runs background tasks and the periodic housekeeping, supervised.

django-tasks-db's ``db_worker`` exits for good on the first database error
and, on SIGTERM, lets the running task run to its end however long it takes.
A node of a cluster needs more, so this module runs django-tasks-db's worker
loop itself (its claim, its task call, its result records):

- a lost database (PostgreSQL restarted, network cut) is waited for with a
  growing delay, logged, and the work goes on once it answers again; a task
  it interrupted is handed back to the queue;
- SIGTERM (or SIGINT) stops the claiming of new tasks and gives the running
  one ``EQUIPAGE_WORKER_GRACE_SECONDS`` to finish; past that (or on a second
  signal) the task is interrupted, its transaction rolled back, and it is
  handed back — made ``READY`` again — for another worker to run;
- the housekeeping thread is started again if it ever dies.

Handing back means at least once: a handed-back task may run again, so tasks
are written to be idempotent (the outbox and the import jobs check their own
state before acting).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.db.utils import InterfaceError, OperationalError

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = 30.0
# Waits between two attempts to reach a lost database: 1 s, 2 s, 4 s ... 30 s.
RECONNECT_FIRST, RECONNECT_MAX = 1.0, 30.0
# What a lost database raises (a busy SQLite too, which also passes in time).
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def register(sub: Any, groups: dict[str, Any]) -> None:
    parser = sub.add_parser("worker", help="run the background worker alone")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--once", action="store_true", help="run what is due, then exit")
    # Set by `serve` for its embedded worker: stop when that process is gone.
    parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(handler=worker)


def worker(args: argparse.Namespace) -> int:
    from django.conf import settings

    from equipage.cli.bootstrap import show_lifecycle_logs
    from equipage.core.housekeeping import run_periodic

    show_lifecycle_logs()
    if args.once:
        run_periodic()
        build_worker(interval=0, batch=True, grace=settings.EQUIPAGE_WORKER_GRACE_SECONDS).run()
        return 0
    housekeeping = Housekeeping(run_periodic, every=HOUSEKEEPING_EVERY)
    supervised = build_worker(
        interval=args.interval,
        batch=False,
        grace=settings.EQUIPAGE_WORKER_GRACE_SECONDS,
        parent_pid=args.parent_pid,
        housekeeping=housekeeping,
    )
    supervised.configure_signals()
    try:
        supervised.run()
    finally:
        housekeeping.stop()
    return 0


def build_worker(
    *,
    interval: float,
    batch: bool,
    grace: float,
    parent_pid: int | None = None,
    housekeeping: Housekeeping | None = None,
) -> Any:
    """A supervised worker on every queue (the class needs Django set up, hence here)."""
    from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
    from django_tasks_db.management.commands.db_worker import Worker

    class SupervisedWorker(Worker):  # type: ignore[misc]
        """django-tasks-db's worker with reconnection, a grace period and hand-back."""

        def __init__(self) -> None:
            super().__init__(
                queue_names=["*"],
                interval=interval,
                batch=batch,
                backend_name=DEFAULT_TASK_BACKEND_ALIAS,
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id(),
                excluded_queue_names=[],
            )
            self.grace = grace
            self.parent_pid = parent_pid
            self.housekeeping = housekeeping
            self.wake = threading.Event()
            self.in_task_call = False
            self.owed: tuple[Any, Any] | None = None

        # -- signals -------------------------------------------------------
        def configure_signals(self) -> None:
            super().configure_signals()
            signal.signal(signal.SIGALRM, self.grace_over)

        def shutdown(self, signum: int, frame: FrameType | None) -> None:
            name = signal.strsignal(signum)
            if self.running:
                self.running = False
                self.wake.set()
                if self.running_task:
                    log.warning(
                        "%s: taking no new task; the running one has %g s to finish",
                        name,
                        self.grace,
                    )
                    # 0 would disarm the timer: a zero grace fires at once instead.
                    signal.setitimer(signal.ITIMER_REAL, max(self.grace, 0.001))
                else:
                    log.warning("%s: stopping the worker", name)
            elif self.in_task_call:
                log.warning("%s again: handing the running task back now", name)
                raise GraceExpired

        def grace_over(self, signum: int, frame: FrameType | None) -> None:
            if self.in_task_call:
                raise GraceExpired

        # -- the loop ------------------------------------------------------
        def run(self) -> None:
            log.info("worker %s started (grace period %g s)", self.worker_id, self.grace)
            delay = 0.0
            while self.running:
                self.look_around()
                try:
                    self.settle()
                    done = self.poll()
                except CONNECTION_ERRORS as exc:
                    delay = min(max(delay * 2, RECONNECT_FIRST), RECONNECT_MAX)
                    log.warning(
                        "database unavailable (%s); trying again in %g s",
                        str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc),
                        delay,
                    )
                    close_connections()
                    self.wake.wait(delay)
                    continue
                if delay:
                    log.warning("database reachable again; the worker goes on")
                    delay = 0.0
                if done:
                    break
            if self.owed is not None:
                try:
                    self.settle()
                except CONNECTION_ERRORS:
                    log.error(
                        "task %s: its outcome could not be recorded, the database is unreachable",
                        self.owed[0].id,
                    )
            log.info("worker %s stopped", self.worker_id)

        def look_around(self) -> None:
            """Between two polls: the housekeeping thread, and the parent process."""
            if self.housekeeping is not None:
                self.housekeeping.ensure_running()
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                log.warning("the serve process %d is gone: stopping the worker", self.parent_pid)
                self.running = False

        def poll(self) -> bool:
            """Claim and run one task; True when a batch worker has nothing left."""
            from django.db import close_old_connections

            close_old_connections()
            task_result, busy = self.claim()
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch and not busy:
                return True
            close_old_connections()
            if self.running and task_result is None:
                self.wake.wait(self.interval)
            return False

        def claim(self) -> tuple[Any, bool]:
            """The next ready task, claimed; and whether SQLite was too busy to tell."""
            from django.db.utils import OperationalError
            from django_tasks_db.models import DBTaskResult
            from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

            tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
            with exclusive_transaction(tasks.db):
                try:
                    task_result = tasks.get_locked()
                    if task_result is not None:
                        task_result.claim(self.worker_id)
                    return task_result, False
                except OperationalError as exc:
                    if is_locked_database_exception(exc):
                        return None, True  # SQLite busy: it unlocks eventually
                    raise

        def run_task(self, db_task_result: Any) -> None:
            """Run a claimed task and record its outcome, or hand it back when interrupted."""
            from django_tasks_db.compat import TaskContext, task_started

            if not self.running:  # stopped between the claim and now: never started
                self.owe(db_task_result, HAND_BACK)
                return
            self.running_task = True
            try:
                task = db_task_result.task
                task_result = db_task_result.task_result
                task_started.send(sender=type(task.get_backend()), task_result=task_result)
                self.in_task_call = True
                try:
                    if task.takes_context:
                        value = task.call(
                            TaskContext(task_result=task_result),
                            *task_result.args,
                            **task_result.kwargs,
                        )
                    else:
                        value = task.call(*task_result.args, **task_result.kwargs)
                finally:
                    self.in_task_call = False
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except GraceExpired:
                log.warning(
                    "task %s (%s) did not finish within the grace period",
                    db_task_result.id,
                    db_task_result.task_path,
                )
                close_connections()  # it may have been stopped in the middle of a query
                self.owe(db_task_result, HAND_BACK)
            except BaseException as exc:
                self.owe(db_task_result, exc)
            else:
                self.owe(db_task_result, Done(value))
            finally:
                self.running_task = False
                self._run_tasks += 1

        def owe(self, db_task_result: Any, outcome: Any) -> None:
            """Record a task's outcome now, or once the database answers again.

            A database lost under a task is not the task's failure: the task is
            handed back then, and a task that did finish is recorded as done
            (not run twice) when the database returns.
            """
            self.owed = (db_task_result, outcome)
            self.settle()

        def settle(self) -> None:
            """Record the owed outcome; a lost database raises, and it stays owed."""
            from django_tasks_db.compat import TaskResultStatus, task_finished
            from django_tasks_db.models import DBTaskResult

            if self.owed is None:
                return
            db_task_result, outcome = self.owed
            if isinstance(outcome, CONNECTION_ERRORS) and connection_lost():
                # The database went away under the task: not the task's failure.
                self.owed = (db_task_result, HAND_BACK)
                raise outcome
            if outcome is HAND_BACK:
                DBTaskResult.objects.filter(
                    pk=db_task_result.pk, status=TaskResultStatus.RUNNING
                ).update(status=TaskResultStatus.READY, started_at=None)
                log.warning("task %s handed back to the queue", db_task_result.id)
            elif isinstance(outcome, Done):
                db_task_result.set_successful(outcome.value)
            else:
                db_task_result.set_failed(outcome)
            self.owed = None
            if outcome is not HAND_BACK:
                with contextlib.suppress(Exception):
                    task_finished.send(
                        sender=type(db_task_result.task.get_backend()),
                        task_result=db_task_result.task_result,
                    )

    return SupervisedWorker()


HAND_BACK = object()


class Done:
    """A task's return value, to record once the database answers."""

    def __init__(self, value: Any):
        self.value = value


class GraceExpired(KeyboardInterrupt):
    """Raised inside a running task when its grace period is over.

    A ``KeyboardInterrupt`` so that ``except Exception`` in a task does not
    swallow it and psycopg cancels the query it interrupts.
    """


class Housekeeping:
    """The periodic jobs in a thread of their own, started again if it dies."""

    def __init__(self, job: Callable[[], object], every: float):
        self.job = job
        self.every = every
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def ensure_running(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        if self.thread is not None:
            log.warning("the housekeeping thread died: starting it again")
        self.thread = threading.Thread(target=self.loop, name="housekeeping", daemon=True)
        self.thread.start()

    def loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.job()
            except Exception:
                log.exception("housekeeping failed; trying again later")
            except BaseException:
                log.exception("the housekeeping thread stops")
                raise
            self.stopping.wait(self.every)

    def stop(self) -> None:
        self.stopping.set()


def worker_id() -> str:
    """Host, process and a random part: who ran a task shows in its ``worker_ids``."""
    from django.utils.crypto import get_random_string

    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"[:64]


def connection_lost() -> bool:
    """Whether this thread's database connection is broken (the server went away)."""
    from django.db import connection

    if connection.connection is None:
        return False
    try:
        return not connection.is_usable()
    except Exception:
        return True


def close_connections() -> None:
    """Drop every database connection of this thread; a broken one may refuse to close."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(Exception):
            connection.close()
