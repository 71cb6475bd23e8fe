"""Sort members' names accent- and case-insensitively inside the database.

« Élodie » must sort with the E, not after « Zoé ». PostgreSQL sorts with
ICU's root collation, named ``eq_name`` (directory migration 0003), in its
ORDER BY, its keyset comparison and its name-walk index.

SQLite orders by an SQL function instead, ``eq_name_key(name)``: the folded
name, a NUL, then the exact text (``name_sort_key``). Its name-walk index is
built on that expression (directory migration 0006), so inserting a member
costs two Python calls, where a Python collation cost one per B-tree
comparison (~28 per row at a million members). The ``eq_name`` collation is
still registered on SQLite: migrations 0003 to 0005 create the collated index
before 0006 replaces it.

Both are registered on every connection Django opens (``connection_created``).
A tool opening the SQLite file without Django must call ``register_sqlite``
before writing to ``accounts_member``: SQLite refuses to update an index whose
function or collation it does not know.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any

from unidecode import unidecode

NAME_COLLATION = "eq_name"
# SQLite's SQL function giving a name's sort key (``name_sort_key``).
NAME_KEY_FUNCTION = "eq_name_key"
# The columns of Member sorted by name: the collation on PostgreSQL, the key function on SQLite.
COLLATED_COLUMNS = frozenset({"last_name", "first_name"})


@lru_cache(maxsize=65536)
def name_key(text: str) -> tuple[str, str]:
    """Return the sort key of a name: folded (no accents, lower case) first, the exact text to break ties.

    Deterministic (two different names never compare equal), so SQLite can use it
    in an index; names repeat a lot, hence the cache.
    """
    folded = text.lower() if text.isascii() else unidecode(text).lower()
    return folded, text


@lru_cache(maxsize=65536)
def name_sort_key(text: str) -> str:
    """Return ``name_key`` as one string, ``folded + NUL + text``, which orders the same way.

    SQLite compares text byte by byte in UTF-8, which is code point order, as
    Python does; a NUL sorts before every other character, so a folded name that
    is a prefix of another still sorts first. This holds for names without NUL
    (the import refuses control characters, Django forms refuse NUL; the API and
    SCIM do not). A name holding one still gets a deterministic key: the order
    and the cursors stay consistent, only that name may sit off its accent order.
    """
    folded, exact = name_key(text)
    return f"{folded}\x00{exact}"


def _sql_name_sort_key(text: Any) -> Any:
    # NULL and non-text values pass through: the name columns are NOT NULL text anyway.
    return name_sort_key(text) if isinstance(text, str) else text


def compare_names(a: str, b: str) -> int:
    """Compare two names for SQLite's ``create_collation`` (negative, zero, positive)."""
    ka, kb = name_key(a), name_key(b)
    return (ka > kb) - (ka < kb)


def register_sqlite(raw: sqlite3.Connection) -> None:
    """Register the ``eq_name`` collation and the ``eq_name_key`` function on a raw connection."""
    raw.create_collation(NAME_COLLATION, compare_names)
    raw.create_function(NAME_KEY_FUNCTION, 1, _sql_name_sort_key, deterministic=True)


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Register the collation and the key function on each new SQLite connection Django opens."""
    if connection.vendor == "sqlite":
        register_sqlite(connection.connection)
