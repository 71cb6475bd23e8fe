"""``equipage backup`` and ``equipage restore``: drills with real processes on the engine under test.

On the SQLite run the drill uses data directories; on the PostgreSQL run,
fresh databases on the server under test (pg_dump / pg_restore). The WAL
case is SQLite's own and runs on both.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from equipage.ops.backup import BackupError, find_pg_tool
from tests.imports.helpers import csv_bytes
from tests.ops.live import clean_env, equipage, fresh_postgres_database, postgres_under_test

WRITER = """
import sys, time
from pathlib import Path
from typing import Any
from equipage.cli.bootstrap import setup_django
setup_django(migrate=False)
from equipage.accounts.actions import member_create
from equipage.organizations.selectors import organization_by_slug
from equipage.permissions import Actor

org = organization_by_slug("drill")
actor = Actor.operator(label="drill-writer")
stop, deadline, i = Path(sys.argv[1]), time.monotonic() + 90, 0
while i < 5000 and time.monotonic() < deadline and not stop.exists():
    member_create(actor=actor, organization=org, first_name="Writer", last_name=f"N{i:05d}",
                  email=f"writer{i}@drill.test")
    i += 1
    print(i, flush=True)
"""


@contextmanager
def two_databases(tmp_path: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The environments of a source node and of a fresh one to restore into."""
    with ExitStack() as stack:
        src = clean_env(EQUIPAGE_DATA_DIR=str(tmp_path / "source"))
        dst = clean_env(EQUIPAGE_DATA_DIR=str(tmp_path / "restored"))
        if postgres_under_test():
            src["DATABASE_URL"] = stack.enter_context(fresh_postgres_database("h7src"))
            dst["DATABASE_URL"] = stack.enter_context(fresh_postgres_database("h7dst"))
        yield src, dst


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def listed(env: dict[str, str], slug: str) -> list[dict]:
    return json.loads(ok(equipage(env, "members", "list", "--org", slug, "--json")))


def test_restore_drill_a_backup_taken_while_a_writer_inserts_is_whole_and_consistent(
    tmp_path: Path,
) -> None:
    with two_databases(tmp_path) as (src, dst):
        ok(equipage(src, "org", "create", "drill", "--name", "Drill", "--owner-email", "o@d.test"))
        stop = tmp_path / "stop"
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(stop)], env=src, stdout=subprocess.PIPE, text=True
        )
        try:
            assert writer.stdout
            written = 0
            while written < 30:
                written = int(writer.stdout.readline())
            before_backup = written
            backup = tmp_path / "drill.backup"
            out = ok(equipage(src, "backup", "-o", str(backup)))
            assert f"written to {backup}" in out
            # The writer never paused: it goes on inserting after the backup too.
            for _ in range(10):
                line = writer.stdout.readline()
                assert line, "the writer stopped by itself"
                written = int(line)
        finally:
            stop.touch()
            rest = writer.communicate(timeout=60)[0].split()
        final = int(rest[-1]) if rest else written
        assert writer.returncode == 0

        out = ok(equipage(dst, "restore", str(backup)))
        assert "Restored the " in out
        rows = listed(dst, "drill")
        writers = [r for r in rows if r["login"].startswith("writer.")]
        assert before_backup <= len(writers) < final
        # One moment of the database: the first N members, each with its role (same transaction).
        numbers = sorted(int(r["last_name"][1:]) for r in writers)
        assert numbers == list(range(len(writers)))
        assert all(r["roles"] == ["member"] and r["state"] == "active" for r in writers)
        assert any("owner" in r["roles"] for r in rows)


def test_a_committed_import_still_in_the_wal_is_in_the_backup(tmp_path: Path) -> None:
    env = clean_env(EQUIPAGE_DATA_DIR=str(tmp_path / "wal"))  # SQLite, whatever the run
    ok(equipage(env, "org", "create", "wal", "--name", "Wal", "--owner-email", "o@wal.test"))
    database = tmp_path / "wal" / "equipage.sqlite3"
    # A running server's connection: its open read keeps the import's pages in the WAL.
    server = sqlite3.connect(database, isolation_level=None)
    try:
        server.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        server.execute("BEGIN")
        server.execute("SELECT count(*) FROM accounts_member").fetchone()
        roster = tmp_path / "roster.csv"
        rows = [
            [f"wal-{i}", f"Nom{i}", "Prénom", f"p{i}@wal.test", "", "Activé"] for i in range(300)
        ]
        roster.write_bytes(csv_bytes(rows))
        report = json.loads(
            ok(equipage(env, "members", "import", str(roster), "--org", "wal", "--json"))
        )
        assert report["applied"] and report["added"] == 300
        assert Path(f"{database}-wal").stat().st_size > 0

        # The attack: a plain copy of the database file misses the committed import.
        plain = tmp_path / "plain-copy.sqlite3"
        shutil.copyfile(database, plain)
        with sqlite3.connect(plain) as copy:
            (copied,) = copy.execute(
                "SELECT count(*) FROM accounts_member WHERE login LIKE 'wal-%'"
            ).fetchone()
        assert copied < 300

        backup = tmp_path / "wal.backup"
        ok(equipage(env, "backup", "-o", str(backup)))
    finally:
        server.close()
    restored = clean_env(EQUIPAGE_DATA_DIR=str(tmp_path / "restored"))
    ok(equipage(restored, "restore", str(backup)))
    logins = {r["login"] for r in listed(restored, "wal")}
    assert {f"wal-{i}" for i in range(300)} <= logins


@pytest.fixture(scope="module")
def backup_file(tmp_path_factory: Any) -> Iterator[tuple[Path, dict[str, str]]]:
    """A backup of a small organization, and the environment it was taken in."""
    tmp_path = tmp_path_factory.mktemp("small")
    with two_databases(tmp_path) as (src, _dst):
        ok(equipage(src, "org", "create", "small", "--name", "S", "--owner-email", "o@s.test"))
        backup = tmp_path / "small.backup"
        ok(equipage(src, "backup", "-o", str(backup)))
        yield backup, src


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(
    tmp_path: Path, backup_file: tuple[Path, dict[str, str]]
) -> None:
    backup, src = backup_file
    ok(equipage(src, "org", "create", "later", "--name", "L", "--owner-email", "o@l.test"))
    refused = equipage(src, "restore", str(backup))
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr
    assert "Nothing was changed" in refused.stderr
    assert listed(src, "later")  # the organization made after the backup is still there


def test_restore_refuses_a_damaged_backup_and_leaves_the_target_empty(
    tmp_path: Path, backup_file: tuple[Path, dict[str, str]]
) -> None:
    backup, _src = backup_file
    data = bytearray(backup.read_bytes())
    with tarfile.open(backup) as tar:
        payload = next(m for m in tar.getmembers() if m.name.startswith("database."))
    data[payload.offset_data + payload.size // 2] ^= 0xFF
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(data))
    with two_databases(tmp_path / "again") as (_, dst):
        refused = equipage(dst, "restore", str(damaged))
        assert refused.returncode == 1
        assert "damaged" in refused.stderr
        # Still empty: the intact backup restores there.
        ok(equipage(dst, "restore", str(backup)))


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    refused = equipage(clean_env(EQUIPAGE_DATA_DIR=str(tmp_path / "d")), "restore", str(junk))
    assert refused.returncode == 1
    assert "is not an Equipage backup" in refused.stderr
    missing = equipage(clean_env(EQUIPAGE_DATA_DIR=str(tmp_path / "d")), "restore", "nope.tar")
    assert "no such file" in missing.stderr


def test_a_postgresql_backup_is_refused_by_a_sqlite_data_directory(tmp_path: Path) -> None:
    manifest = {
        "engine": "postgresql", "created_at": "2026-01-01T00:00:00+00:00",
        "payload": "database.pgdump", "size": 4, "sha256": "0" * 64,
    }  # fmt: skip
    foreign = tmp_path / "pg.backup"
    with tarfile.open(foreign, "w") as tar:
        for name, data in (
            ("manifest.json", json.dumps(manifest).encode()),
            ("database.pgdump", b"PGDM"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    refused = equipage(clean_env(EQUIPAGE_DATA_DIR=str(tmp_path / "d")), "restore", str(foreign))
    assert refused.returncode == 1
    assert "this backup is of a PostgreSQL database and the configured database is SQLite" in (
        refused.stderr
    )


def test_backup_refuses_an_empty_database(tmp_path: Path) -> None:
    refused = equipage(
        clean_env(EQUIPAGE_DATA_DIR=str(tmp_path / "new")), "backup", "-o", str(tmp_path / "b")
    )
    assert refused.returncode == 1
    assert "the database is empty" in refused.stderr
    assert not (tmp_path / "b").exists()


def test_missing_postgresql_client_programs_are_named_with_what_to_install() -> None:
    with pytest.raises(BackupError) as caught:
        find_pg_tool("pg_dump", path="", roots="/nonexistent/postgresql/*/bin")
    assert "pg_dump was not found" in str(caught.value)
    assert "postgresql-client" in str(caught.value)


def test_postgresql_client_programs_are_found_in_debian_directories_off_path() -> None:
    found = find_pg_tool("pg_restore", path="")
    assert found.startswith("/usr/lib/postgresql/") and found.endswith("/bin/pg_restore")
