"""``equipage migrate``: apply pending migrations under a database-wide lock.

Every command migrates a database that is behind the code before it starts
(``bootstrap.migrate_if_needed``), so several ``serve``, ``worker`` and
``migrate`` processes started at once on an empty or an old database would
race: two ``CREATE TABLE`` of the same table, and all but one process dies.
They all go through :func:`migrate_under_lock` instead: one process takes the
lock and migrates, the others wait for it, then find the plan empty.

The lock:

- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) on a fixed
  key, held by a dedicated connection for as long as the migration runs. Every
  node of a cluster reaches the same server, so the lock covers all machines;
  the server drops it when the holder's connection ends, so a process killed
  mid-migration never leaves a stale lock.
- SQLite: an exclusive ``flock`` on a file next to the database file. SQLite's
  own write lock cannot be used: Django migrates SQLite outside a transaction
  (it must switch foreign-key checks off), so no connection can hold the write
  lock across a migration without blocking the migration itself. An SQLite
  database lives on one machine (SQLite over a network file system is not
  supported), so a file lock, released by the kernel when its process ends,
  reaches every process that can open the database.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from equipage.cli.bootstrap import CommandError, out, setup_django

log = logging.getLogger(__name__)

# "equipage" in ASCII: the advisory lock key every Equipage process agrees on.
ADVISORY_LOCK_KEY = 0x6571_7569_7061_6765
# How long one wait for the PostgreSQL lock lasts before "still waiting" is logged.
STILL_WAITING_SECONDS = 30


def register(sub: Any, groups: dict[str, Any]) -> None:
    parser = sub.add_parser(
        "migrate", help="apply pending database migrations (safe to run from several machines)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 when migrations are pending, 0 when the schema is current",
    )
    parser.set_defaults(handler=migrate, needs_django=False)


def migrate(args: argparse.Namespace) -> int:
    setup_django(migrate=False)
    if args.check:
        plan = pending_migrations()
        for migration in plan:
            out(f"pending: {migration}")
        out("The database schema is current." if not plan else f"{len(plan)} migration(s) pending.")
        return 1 if plan else 0
    applied = migrate_under_lock()
    if applied:
        out(f"Applied {len(applied)} migration(s).")
    out("The database schema is current.")
    return 0


def pending_migrations() -> list[str]:
    """Names (``app.migration``) of the migrations the database still lacks."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor
    from django.db.utils import OperationalError

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except OperationalError as exc:
        raise CommandError(f"cannot reach the database: {exc}", 2) from None
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def migrate_under_lock() -> list[str]:
    """Take the migration lock, re-read the plan and apply it; return what was applied.

    The plan is read again under the lock: a process that waited finds the
    work done by the one that held it, and applies nothing.
    """
    from django.core.management import call_command
    from django.db import connections

    from equipage.directory.statistics import refresh_statistics

    with migration_lock():
        plan = pending_migrations()
        if plan:
            log.info("applying %d migration(s)", len(plan))
            call_command("migrate", interactive=False, verbosity=0)
            # SQLite: an index a migration adds has no statistics while the others have;
            # the planner then takes it for a selective one (the directory sorted 100,000
            # rows through the lifecycle's last-login index: 30 times its cost) until the
            # worker's next refresh. Sample the tables now.
            refresh_statistics()
    # Connections opened before the migration may hold cached type OIDs (PostgreSQL).
    connections.close_all()
    return plan


@contextlib.contextmanager
def migration_lock() -> Iterator[None]:
    """Hold the database-wide migration lock for the duration of the block."""
    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with _advisory_lock():
            yield
    elif connection.vendor == "sqlite":
        with _file_lock(str(connection.settings_dict["NAME"])):
            yield
    else:  # pragma: no cover - only PostgreSQL and SQLite are supported
        yield


@contextlib.contextmanager
def _advisory_lock() -> Iterator[None]:
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.utils import OperationalError

    # A connection of its own: the migration's connection opens and closes
    # transactions, and must not be the one whose session holds the lock.
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        try:
            with holder.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
                locked = bool(cursor.fetchone()[0])
                if not locked:
                    log.warning("waiting for another process to migrate the database")
                    cursor.execute(f"SET lock_timeout = '{STILL_WAITING_SECONDS}s'")
                started = time.monotonic()
                while not locked:
                    try:
                        cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
                        locked = True
                    except OperationalError as exc:  # lock_timeout: still migrating
                        if getattr(exc.__cause__, "sqlstate", None) != "55P03":
                            raise
                        log.warning(
                            "still waiting for another process to migrate the database (%d s)",
                            time.monotonic() - started,
                        )
        except OperationalError as exc:
            raise CommandError(f"cannot reach the database: {exc}", 2) from None
        yield
    finally:
        # Closing the session releases the lock, even if the unlock itself fails.
        with contextlib.suppress(Exception):
            holder.close()


@contextlib.contextmanager
def _file_lock(database_name: str) -> Iterator[None]:
    if not database_name or database_name == ":memory:" or "mode=memory" in database_name:
        yield  # a memory database belongs to one process: nothing to race with
        return
    path = Path(database_name).with_name(Path(database_name).name + ".migrate-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("waiting for another process to migrate the database")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
