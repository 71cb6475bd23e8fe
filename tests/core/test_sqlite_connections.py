"""SQLite connections are kept between requests, and dropped when their file is replaced (#20)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from equipage import conf


@pytest.fixture
def node_db(
    tmp_path: Path, django_db_blocker: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A connection configured as a SQLite node's (``conf.database``), on a file of its own."""
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the suite may run on PostgreSQL
    settings_dict = conf.database(tmp_path)
    wrapper = ConnectionHandler({"default": settings_dict})["default"]
    with django_db_blocker.unblock():
        with wrapper.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x INTEGER)")
            cursor.execute("INSERT INTO t VALUES (1)")
        yield wrapper
        wrapper.close()


def _request(wrapper: Any) -> int:
    """What a request does: Django's checks at its start, then a query."""
    wrapper.close_if_unusable_or_obsolete()
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT x FROM t")
        return int(cursor.fetchone()[0])


def _replace(path: Path, value: int) -> None:
    incoming = path.with_name("incoming.sqlite3")
    other = sqlite3.connect(incoming)
    other.execute("CREATE TABLE t (x INTEGER)")
    other.execute("INSERT INTO t VALUES (?)", (value,))
    other.commit()
    other.close()
    os.replace(incoming, path)


def test_a_node_keeps_its_sqlite_connection_from_one_request_to_the_next(node_db: Any) -> None:
    assert _request(node_db) == 1
    kept = node_db.connection
    assert _request(node_db) == 1
    assert node_db.connection is kept


def test_a_replaced_database_file_is_read_on_the_next_request(node_db: Any) -> None:
    """``equipage restore`` (or an operator) puts another file in place: no request reads the old one."""
    assert _request(node_db) == 1
    old = node_db.connection
    for suffix in ("-wal", "-shm"):
        Path(f"{node_db.settings_dict['NAME']}{suffix}").unlink(missing_ok=True)
    _replace(Path(node_db.settings_dict["NAME"]), 2)
    assert _request(node_db) == 2
    assert node_db.connection is not old


def test_a_deleted_database_file_fails_the_next_request_as_a_new_connection_would(
    node_db: Any,
) -> None:
    assert _request(node_db) == 1
    path = Path(node_db.settings_dict["NAME"])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.mkdir()  # not even an empty database can be created there
    with pytest.raises(OperationalError):
        _request(node_db)


def test_a_database_url_naming_sqlite_gets_the_same_kept_connections(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/other.sqlite3")
    settings_dict = conf.database(tmp_path)
    assert settings_dict["ENGINE"] == "equipage.core.sqlite3"
    assert settings_dict["NAME"] == f"{tmp_path}/other.sqlite3"
    assert settings_dict["CONN_MAX_AGE"] > 0 and settings_dict["CONN_HEALTH_CHECKS"]
