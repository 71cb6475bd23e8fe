"""``equipage migrate`` and every other command, started at once: one migrates, none dies.

The attack is issue #14's: several ``migrate``, ``worker`` and other commands
launched at the same moment on an empty database, or on one two migrations
behind the code (an upgrade), on the suite's engine (SQLite in one half, a
throw-away PostgreSQL database in the other).
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from equipage.cli.migrate import ADVISORY_LOCK_KEY
from tests.deploy.servers import (
    Process,
    equipage_env,
    fresh_database,
    run_equipage,
    wait_until,
)

__all__ = ["fresh_database"]  # fixture

RACERS = [
    ["migrate"],
    ["migrate"],
    ["worker", "--once"],
    ["org", "create", "race", "--name", "Race", "--owner-email", "owner@race.test"],
]


def start_together(env: dict[str, str], logs: Path) -> list[Process]:
    logs.mkdir(exist_ok=True)
    return [Process(args, env, logs / f"{n}.log") for n, args in enumerate(RACERS)]


def assert_all_succeed(processes: list[Process]) -> None:
    for process in processes:
        code = process.wait(120)
        assert code == 0, f"{process.args} exited {code}:\n{process.log()[-3000:]}"


def applied_twice(env: dict[str, str]) -> list[tuple[str, str]]:
    query = "SELECT app, name FROM django_migrations GROUP BY app, name HAVING COUNT(*) > 1"
    if "DATABASE_URL" in env:
        from tests.deploy.servers import sql

        return [(str(a), str(n)) for a, n in sql(env["DATABASE_URL"], query)]
    with contextlib.closing(
        sqlite3.connect(Path(env["EQUIPAGE_DATA_DIR"]) / "equipage.sqlite3")
    ) as db:
        return list(db.execute(query))


def assert_schema_current(env: dict[str, str]) -> None:
    check = run_equipage(["migrate", "--check"], env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "The database schema is current." in check.stdout
    assert applied_twice(env) == []


def test_commands_started_at_once_on_an_empty_database_all_succeed(
    fresh_database: dict[str, str], tmp_path: Path
) -> None:
    env = equipage_env(fresh_database)
    del env["EQUIPAGE_SECRET_KEY"]  # a fresh data directory: they generate one together
    assert_all_succeed(start_together(env, tmp_path / "logs"))
    assert_schema_current(env)
    key = Path(env["EQUIPAGE_DATA_DIR"]) / "secret_key"
    assert len(key.read_text().strip()) > 40
    assert [p.name for p in key.parent.iterdir() if p.name.startswith(".secret_key")] == []


def test_commands_started_at_once_on_an_old_database_all_succeed(
    fresh_database: dict[str, str], tmp_path: Path
) -> None:
    env = equipage_env(fresh_database)
    assert run_equipage(["migrate"], env).returncode == 0
    django = {**env, "DJANGO_SETTINGS_MODULE": "equipage.settings"}
    for app, older in (("audit", "0002"), ("accounts", "0004")):  # two behind each
        back = run_equipage(["migrate", app, older, "-v0"], django, module="django")
        assert back.returncode == 0, back.stderr
    pending = run_equipage(["migrate", "--check"], env)
    assert pending.returncode == 1 and "pending: audit.0003" in pending.stdout
    assert_all_succeed(start_together(env, tmp_path / "logs"))
    assert_schema_current(env)


@contextlib.contextmanager
def migration_lock_held(env: dict[str, str]) -> Iterator[None]:
    """Hold the lock ``equipage migrate`` takes, as a process migrating would."""
    if "DATABASE_URL" in env:
        import psycopg

        url = env["DATABASE_URL"].replace("postgres://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            yield
        return
    lock = Path(env["EQUIPAGE_DATA_DIR"]) / "equipage.sqlite3.migrate-lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def test_a_command_finding_a_migration_under_way_waits_for_it_and_says_so(
    fresh_database: dict[str, str], tmp_path: Path
) -> None:
    env = equipage_env(fresh_database)
    with migration_lock_held(env):
        processes = start_together(env, tmp_path / "logs")
        for process in processes:
            process.wait_for_log("waiting for another process to migrate", timeout=60)
        assert all(process.alive() for process in processes)
    assert_all_succeed(processes)
    assert_schema_current(env)
    # One of them migrated, the others found the work done.
    migrated = [p for p in processes if "Applied " in p.log()]
    assert len(migrated) <= 1
    assert wait_until("the schema", lambda: applied_twice(env) == [])


def test_an_index_a_migration_adds_is_sampled_for_the_sqlite_planner(
    fresh_database: dict[str, str],
) -> None:
    """The attack (#20): an upgrade adds an index to a database the worker had sampled.

    Without statistics of its own, SQLite takes the new index for a selective
    one while the others have theirs: the directory of 100,000 members was
    sorted through the lifecycle's last-login index (30 times its cost) until
    the worker's next sampling. ``migrate`` samples the tables when it applied
    anything; PostgreSQL's autovacuum samples by itself.
    """
    env = equipage_env(fresh_database)
    assert run_equipage(["migrate"], env).returncode == 0
    made = run_equipage(
        ["org", "create", "stats", "--name", "Stats", "--owner-email", "owner@stats.test"], env
    )
    assert made.returncode == 0, made.stdout + made.stderr
    django = {**env, "DJANGO_SETTINGS_MODULE": "equipage.settings"}
    back = run_equipage(["migrate", "organizations", "0006", "-v0"], django, module="django")
    assert back.returncode == 0, back.stderr
    if "DATABASE_URL" in env:
        assert run_equipage(["migrate"], env).returncode == 0
        assert_schema_current(env)
        return
    database = Path(env["EQUIPAGE_DATA_DIR"]) / "equipage.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as db:
        db.execute("ANALYZE")  # the worker sampled the tables before the upgrade
        db.commit()
    upgraded = run_equipage(["migrate"], env)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    with contextlib.closing(sqlite3.connect(database)) as db:
        sampled = {row[0] for row in db.execute("SELECT idx FROM sqlite_stat1")}
    assert "lifecycle_member_last_login" in sampled
