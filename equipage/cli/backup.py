"""``equipage backup -o FILE`` and ``equipage restore FILE``.

Neither migrates: a backup taken before an upgrade must hold the old
schema, and a restore gives back exactly what was saved (the next command,
or ``equipage migrate``, brings it up to date).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from equipage.cli.bootstrap import CommandError, out, setup_django


def register(sub: Any, groups: dict[str, Any]) -> None:
    parser = sub.add_parser(
        "backup", help="write a consistent copy of the whole database, taken while the app runs"
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE")
    parser.set_defaults(handler=backup, needs_django=False)
    parser = sub.add_parser(
        "restore", help="restore a backup into an empty data directory or an empty database"
    )
    parser.add_argument("file", metavar="FILE")
    parser.set_defaults(handler=restore, needs_django=False)


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def backup(args: argparse.Namespace) -> int:
    setup_django(migrate=False)
    from django.conf import settings

    from equipage.ops.backup import ENGINE_NAMES, BackupError
    from equipage.ops.backup import backup as take_backup

    key_from_env = bool(os.environ.get("EQUIPAGE_SECRET_KEY"))
    started = time.monotonic()
    output = Path(args.output)
    try:
        manifest = take_backup(output, None if key_from_env else settings.DATA_DIR / "secret_key")
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    out(
        f"Backup of the {ENGINE_NAMES[manifest.engine]} database written to {output} "
        f"({_size(output.stat().st_size)}, {time.monotonic() - started:.1f} s)."
    )
    if key_from_env:
        out("The secret key comes from EQUIPAGE_SECRET_KEY: keep it with the backup, safely.")
    else:
        out("It holds the data directory's secret key too: keep it as safely as the key.")
    return 0


def restore(args: argparse.Namespace) -> int:
    from equipage import conf

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    # Known before settings generate a key into a new data directory.
    key_file = conf.data_dir() / "secret_key"
    had_key = key_file.exists() or bool(os.environ.get("EQUIPAGE_SECRET_KEY"))
    setup_django(migrate=False)
    from equipage.ops.backup import (
        ENGINE_NAMES,
        BackupError,
        open_backup,
        schema_behind,
        secret_key_of,
    )
    from equipage.ops.backup import restore as restore_backup

    try:
        with open_backup(path) as (tar, manifest):
            where = restore_backup(tar, manifest)
            key = secret_key_of(tar, manifest)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    out(
        f"Restored the {ENGINE_NAMES[manifest.engine]} backup of {manifest.created_at} "
        f"into {where}."
    )
    if key and not had_key:
        key_file.write_text(key)
        key_file.chmod(0o600)
        out(f"The secret key was restored into {key_file}.")
    elif key and key != (key_file.read_text().strip() if key_file.exists() else None):
        out("The backup's secret key was not restored: this node already has its own.")
    if schema_behind(manifest):
        out("This backup predates this version: `equipage migrate` brings its schema up to date.")
    return 0
