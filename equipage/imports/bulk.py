"""Raw bulk statements for the import's apply: plain tuples and ``executemany``.

The ORM builds one Python object and compiles SQL per value; at 100k rows
that dominated the import. These helpers write the same rows with the same
defaults, one prepared statement per table and batch. They run inside the
import's transaction like everything else it writes.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection
from django.db.transaction import TransactionManagementError

from equipage.core.text import fold

BATCH = 5000
# The directory's search index trigger (SQLite FTS5): for big inserts it is
# cheaper to fill the index with one INSERT … SELECT than row by row.
_FTS_TRIGGER = "directory_member_fts_ai"
_FTS_SQL = (
    "CREATE TRIGGER directory_member_fts_ai AFTER INSERT ON accounts_member BEGIN INSERT INTO"
    " directory_member_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
)
_FTS_UPDATE_TRIGGER = "directory_member_fts_au"
_FTS_UPDATE_SQL = (
    "CREATE TRIGGER directory_member_fts_au AFTER UPDATE OF search_text ON accounts_member BEGIN"
    " INSERT INTO directory_member_fts(directory_member_fts, rowid, search_text) VALUES"
    " ('delete', old.id, old.search_text); INSERT INTO directory_member_fts(rowid, search_text)"
    " VALUES (new.id, new.search_text); END"
)
_FTS_MIN_ROWS = 1000
# SQLite page cache while an import writes (KiB, negative as PRAGMA cache_size wants): the
# default 2 MB makes every index insert of a 100k-row roster go back to the OS.
_IMPORT_CACHE_KIB = 32_000


_SPACES = re.compile(r"\s+")


def search_key_maker() -> Callable[..., str]:
    """Return a ``core.text.search_key`` with the same results, faster over a whole roster.

    ASCII text needs no transliteration; other text (names, which repeat a
    lot) is folded once and remembered for the rest of this import.
    """
    cache: dict[str, str] = {}
    spaces = _SPACES

    def fold_fast(text: str) -> str:
        found = cache.get(text)
        if found is not None:
            return found
        if text.isascii():
            # Printable ASCII without a space holds no white space at all: nothing to collapse.
            if text.isprintable() and " " not in text:
                return text.lower()
            return spaces.sub(" ", text).strip().lower()
        found = cache[text] = fold(text)
        return found

    def search_key(*parts: str) -> str:
        return " ".join([fold_fast(p) for p in parts if p])

    return search_key


def _quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def columns_with_defaults(model: Any, given: Sequence[str]) -> tuple[list[str], list[Any]]:
    """Return every concrete column of ``model`` (``given`` first) and the others' defaults.

    Defaults are the model fields' own, adapted for the database once.
    """
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    rest = [name for name in fields if name not in given]
    defaults = [
        fields[name].get_db_prep_save(fields[name].get_default(), connection) for name in rest
    ]
    return [*given, *rest], defaults


def insert_rows(model: Any, given: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (values of the ``given`` attributes, database-ready) into ``model``'s table.

    The other columns get their field default. Returns how many rows were written.
    """
    names, defaults = columns_with_defaults(model, given)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    cols = ", ".join(_quote(fields[n].column) for n in names)
    table = _quote(model._meta.db_table)
    tail = tuple(defaults)
    full = ((*row, *tail) for row in rows)
    if connection.vendor == "postgresql":
        tail = tuple(_json_text(d) for d in defaults)  # serialised once, not per row
        return copy_rows(f"{table} ({cols})", ((*row, *tail) for row in rows))
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608
    count = 0
    with connection.cursor() as cursor:
        for batch in batches(full):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _json_text(value: Any) -> Any:
    """Return a psycopg ``Jsonb`` default as its JSON text (COPY reads it for a jsonb column)."""
    from psycopg.types.json import Jsonb

    return json.dumps(value.obj) if isinstance(value, Jsonb) else value


def copy_rows(target: str, rows: Iterable[Sequence[Any]]) -> int:
    """PostgreSQL: stream ``rows`` into ``target`` ("table (columns)") with ``COPY … FROM STDIN``.

    One round trip for the whole stream instead of one statement per row.
    """
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def update_rows(model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Set ``columns`` of many rows by id; each row is (values of ``columns``..., id).

    SQLite: one prepared ``UPDATE … WHERE id = ?`` per row (cheap in-process).
    PostgreSQL: COPY the rows into a temporary table, then one ``UPDATE … FROM``.
    """
    table = _quote(model._meta.db_table)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    names = [_quote(fields[c].column) for c in columns]
    if connection.vendor != "postgresql":
        sets = ", ".join(f"{n} = %s" for n in names)
        execute_many(f"UPDATE {table} SET {sets} WHERE id = %s", rows)  # noqa: S608
        return
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    temp = "equipage_import_update"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {', '.join(names)}, id FROM {table} LIMIT 0"
        )
    copy_rows(temp, itertools.chain([first], rows))
    sets = ", ".join(f"{n} = u.{n}" for n in names)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} AS m SET {sets} FROM {temp} AS u WHERE m.id = u.id")  # noqa: S608
        cursor.execute(f"DROP TABLE {temp}")


def execute_many(sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run one parametrised statement for every row, batch by batch."""
    with connection.cursor() as cursor:
        for batch in batches(rows):
            cursor.executemany(sql, batch)


def batches(rows: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    """Yield lists of at most ``size`` rows (executemany wants sequences, memory wants bounds)."""
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def search_index_deferred(table: str, expected_rows: int) -> Iterator[None]:
    """On SQLite, fill the directory's FTS5 index once after a big insert instead of per row.

    Inside the import's write transaction (SQLite runs it IMMEDIATE, so no one
    else writes): drop the insert trigger, let the caller insert, index the new
    rows with one ``INSERT … SELECT``, put the exact same trigger back. A crash
    rolls all of it back. Any other shape of trigger is left alone.
    """
    if connection.vendor != "sqlite" or expected_rows < _FTS_MIN_ROWS:
        yield
        return
    with connection.cursor() as cursor:
        trigger_sql = _trigger_sql(cursor, _FTS_TRIGGER, _FTS_SQL)
        if trigger_sql is None:
            yield
            return
        cursor.execute(f"DROP TRIGGER {_FTS_TRIGGER}")
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_quote(table)}")  # noqa: S608
        last_id = cursor.fetchone()[0]
    # On an exception nothing more is run: the transaction's rollback restores the trigger.
    yield
    with connection.cursor() as cursor:
        source = f"SELECT id, search_text FROM {_quote(table)} WHERE id > %s"  # noqa: S608
        sql = f"INSERT INTO directory_member_fts(rowid, search_text) {source}"
        cursor.execute(sql, [last_id])
        cursor.execute(trigger_sql)


def _trigger_sql(cursor: Any, name: str, expected: str) -> str | None:
    """Return the trigger's SQL when it is exactly the expected one, else None."""
    cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
    found = cursor.fetchone()
    if found is None or " ".join(found[0].split()).rstrip(";") != expected:
        return None
    return str(found[0])


@contextmanager
def search_index_refreshed(table: str, ids: Sequence[int]) -> Iterator[None]:
    """On SQLite, re-index the ``search_text`` of many updated members at once, not per row.

    Same idea as ``search_index_deferred``, for updates: take the rows' current
    text out of the FTS5 index in one statement, let the caller update them,
    index their new text in one statement and restore the exact trigger. Only
    the caller's updates of these ``ids`` may change ``search_text`` meanwhile.
    """
    if connection.vendor != "sqlite" or len(ids) < _FTS_MIN_ROWS:
        yield
        return
    with connection.cursor() as cursor:
        trigger_sql = _trigger_sql(cursor, _FTS_UPDATE_TRIGGER, _FTS_UPDATE_SQL)
        if trigger_sql is None:
            yield
            return
        cursor.execute(f"DROP TRIGGER {_FTS_UPDATE_TRIGGER}")
        cursor.execute("CREATE TEMP TABLE equipage_import_ids (id INTEGER PRIMARY KEY)")
        cursor.executemany("INSERT INTO equipage_import_ids (id) VALUES (%s)", [(i,) for i in ids])
        chosen = f"FROM {_quote(table)} WHERE id IN (SELECT id FROM equipage_import_ids)"  # noqa: S608
        cursor.execute(
            "INSERT INTO directory_member_fts(directory_member_fts, rowid, search_text) "
            f"SELECT 'delete', id, search_text {chosen}"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO directory_member_fts(rowid, search_text) SELECT id, search_text {chosen}"
        )
        cursor.execute("DROP TABLE equipage_import_ids")
        cursor.execute(trigger_sql)


@contextmanager
def roomy_page_cache() -> Iterator[None]:
    """On SQLite, give this connection a larger page cache while the import writes.

    Inserting 100k members touches eight indexes in random order; with the
    default 2 MB cache most page reads go back to the OS. The previous size is
    restored afterwards (connections are reused by the worker).
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        # Best effort: after a failed write the broken transaction may refuse queries; the
        # original error matters, a larger cache on this connection does no harm.
        with (
            contextlib.suppress(DatabaseError, TransactionManagementError),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"PRAGMA cache_size = {previous}")
