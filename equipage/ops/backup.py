"""Backups of the whole database taken while the app runs, and their restoration.

A backup is a tar file: ``manifest.json`` (which engine, when, the schema,
a checksum), the database (``database.sqlite3`` made by SQLite's online
backup API, or ``database.pgdump`` made by ``pg_dump --format=custom``) and,
when the key was generated into the data directory, ``secret_key``.

SQLite: the backup API copies the database as one reader sees it, through
the same pager that reads the WAL, so every committed transaction is in the
copy even if it has not been checkpointed into the main file yet (a plain
file copy misses those). Writers go on meanwhile: WAL readers do not block
them.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT = "equipage-backup"
VERSION = 1
MANIFEST = "manifest.json"
SECRET_KEY_MEMBER = "secret_key"
PAYLOADS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_CHUNK = 1 << 20


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


@dataclass
class Manifest:
    engine: str
    created_at: str
    payload: str
    size: int
    sha256: str
    migrations: dict[str, list[str]] = field(default_factory=dict)
    has_secret_key: bool = False
    format: str = FORMAT
    version: int = VERSION


# -- finding PostgreSQL's client programs ------------------------------------------------------


def find_pg_tool(
    name: str, path: str | None = None, roots: str = "/usr/lib/postgresql/*/bin"
) -> str:
    """Return ``pg_dump`` or ``pg_restore`` from PATH, else the newest in Debian's directories."""
    found = shutil.which(name, path=path)
    if found:
        return found
    for directory in sorted(glob.glob(roots), key=_version_key, reverse=True):
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    raise BackupError(
        f"{name} was not found (looked on PATH and in {roots}): install PostgreSQL's "
        "client programs (Debian: postgresql-client) of the server's version or newer."
    )


def _version_key(directory: str) -> tuple[int, ...]:
    parts = Path(directory).parent.name.split(".")
    return tuple(int(p) for p in parts if p.isdigit())


def _pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """Connection settings as libpq's variables: no password on the command line."""
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    options = settings_dict.get("OPTIONS", {})
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    # The program is pg_dump or pg_restore (find_pg_tool); no argument comes from a request.
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {' / '.join(detail[-3:]) or done.returncode}")


# -- the database, whichever engine --------------------------------------------------------


def _engine() -> str:
    from django.db import connection

    if connection.vendor not in PAYLOADS:
        raise BackupError(f"cannot back up a {connection.vendor} database")
    return connection.vendor


def _applied_migrations() -> dict[str, list[str]]:
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def table_count() -> int:
    """Count the tables of the configured database (0: empty, ready for a restore)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        if not path.exists() or path.stat().st_size == 0:
            return 0
    with connection.cursor() as cursor:
        return len(connection.introspection.table_names(cursor))


def _sqlite_copy(target: Path) -> None:
    from django.db import connection

    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(target)
    try:
        # One step: a single read transaction, so the copy is one consistent moment.
        source.backup(copy)
        # The copy stands alone, without a -wal file beside it.
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()


def _pg_dump(target: Path) -> None:
    from django.db import connection

    command = [find_pg_tool("pg_dump"), "--format=custom", "--file", str(target)]
    _run(command, _pg_environment(connection.settings_dict), "pg_dump")


# -- writing and reading the file ---------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def backup(output: Path, secret_key_file: Path | None) -> Manifest:
    """Write a backup of the whole database to ``output`` (replaced atomically when done)."""
    engine = _engine()
    if table_count() == 0:
        raise BackupError(
            "the database is empty: nothing to back up (check EQUIPAGE_DATA_DIR or DATABASE_URL)"
        )
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".equipage-backup-") as work:
        payload = Path(work) / PAYLOADS[engine]
        migrations = _applied_migrations()
        if engine == "sqlite":
            _sqlite_copy(payload)
        else:
            _pg_dump(payload)
        manifest = Manifest(
            engine=engine,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            payload=payload.name,
            size=payload.stat().st_size,
            sha256=_sha256(payload),
            migrations=migrations,
            has_secret_key=bool(secret_key_file and secret_key_file.is_file()),
        )
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            _add_bytes(tar, MANIFEST, json.dumps(asdict(manifest), indent=2).encode())
            tar.add(payload, arcname=payload.name, filter=_private)
            if manifest.has_secret_key and secret_key_file:
                _add_bytes(tar, SECRET_KEY_MEMBER, secret_key_file.read_bytes())
        partial.chmod(0o600)  # password hashes, webhook secrets, perhaps the secret key
        os.replace(partial, output)
    return manifest


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    tar.addfile(_private(info), io.BytesIO(data))


@contextmanager
def open_backup(path: Path) -> Iterator[tuple[tarfile.TarFile, Manifest]]:
    """Open a backup and read its manifest, refusing anything that is not one."""
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115 - closed by the ``with`` below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not an Equipage backup ({exc})") from None
    with tar:
        raw = _member(tar, MANIFEST, limit=1 << 20)
        try:
            data = json.loads(raw)
            manifest = Manifest(**data)
        except (ValueError, TypeError):
            raise BackupError(f"{path} is not an Equipage backup (bad manifest)") from None
        if manifest.format != FORMAT or manifest.payload != PAYLOADS.get(manifest.engine):
            raise BackupError(f"{path} is not an Equipage backup")
        if manifest.version > VERSION:
            raise BackupError(
                f"{path} was written by a newer Equipage (format {manifest.version}): upgrade first"
            )
        yield tar, manifest


def _member(tar: tarfile.TarFile, name: str, limit: int) -> bytes:
    stream = _open_member(tar, name)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise BackupError(f"the backup's {name} is too large")
    return data


def _open_member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        info = tar.getmember(name)
    except KeyError:
        raise BackupError(f"the backup has no {name}: it is incomplete") from None
    stream = tar.extractfile(info) if info.isfile() else None
    if stream is None:
        raise BackupError(f"the backup's {name} is not a file")
    return stream


def _extract_checked(tar: tarfile.TarFile, manifest: Manifest, target: Path) -> None:
    """Copy the database out of the backup, checking it against the manifest's checksum."""
    digest = hashlib.sha256()
    stream = _open_member(tar, manifest.payload)
    with target.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != manifest.sha256:
        raise BackupError("the backup is damaged: its database does not match its checksum")


def secret_key_of(tar: tarfile.TarFile, manifest: Manifest) -> str | None:
    if not manifest.has_secret_key:
        return None
    return _member(tar, SECRET_KEY_MEMBER, limit=4096).decode().strip()


def restore(tar: tarfile.TarFile, manifest: Manifest) -> str:
    """Restore the database of an open backup into the configured, empty database.

    Refuses a non-empty target: overwriting is one typo away from losing
    the live data, so the operator points at a new data directory or a new
    database instead (and keeps the old one until the restore is checked).
    Returns where the data went.
    """
    from django.db import connection

    engine = _engine()
    if manifest.engine != engine:
        raise BackupError(
            f"this backup is of a {ENGINE_NAMES[manifest.engine]} database and the configured "
            f"database is {ENGINE_NAMES[engine]}: "
            + (
                "unset DATABASE_URL to restore into a data directory"
                if manifest.engine == "sqlite"
                else "set DATABASE_URL to an empty PostgreSQL database"
            )
        )
    tables = table_count()
    if tables:
        where = (
            f"the data directory's database ({connection.settings_dict['NAME']})"
            if engine == "sqlite"
            else f"the database {connection.settings_dict['NAME']!r}"
        )
        raise BackupError(
            f"{where} is not empty ({tables} tables): restore into a new data directory "
            "(EQUIPAGE_DATA_DIR) or a new, empty database (DATABASE_URL). Nothing was changed."
        )
    if engine == "sqlite":
        return _sqlite_restore(tar, manifest)
    return _pg_restore(tar, manifest)


def _sqlite_restore(tar: tarfile.TarFile, manifest: Manifest) -> str:
    from django.db import connection

    target = Path(connection.settings_dict["NAME"])
    connection.close()
    incoming = target.with_name(target.name + ".restoring")
    try:
        _extract_checked(tar, manifest, incoming)
        check = sqlite3.connect(incoming)
        try:
            verdict = check.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            check.close()
        if verdict != "ok":
            raise BackupError(f"the backup's database is damaged: {verdict}")
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)  # an empty database and its journal
        os.replace(incoming, target)
    finally:
        incoming.unlink(missing_ok=True)
    return str(target)


def _pg_restore(tar: tarfile.TarFile, manifest: Manifest) -> str:
    from django.db import connection

    tool = find_pg_tool("pg_restore")
    connection.close()
    with tempfile.TemporaryDirectory(prefix="equipage-restore-") as work:
        dump = Path(work) / manifest.payload
        _extract_checked(tar, manifest, dump)
        command = [
            tool,
            "--single-transaction",  # all or nothing: a failed restore leaves it empty
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            connection.settings_dict["NAME"],
            str(dump),
        ]
        _run(command, _pg_environment(connection.settings_dict), "pg_restore")
    return f"PostgreSQL database {connection.settings_dict['NAME']!r}"


def schema_behind(manifest: Manifest) -> bool:
    """Tell whether the code has migrations the backed-up database had not applied."""
    from django.db.migrations.loader import MigrationLoader

    applied = {(app, name) for app, names in manifest.migrations.items() for name in names}
    known = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    return bool(known - applied)
