"""Sort members' names accent- and case-insensitively inside the database.

« Élodie » must sort with the E, not after « Zoé ». Both engines get a
collation named ``eq_name`` so that the ORDER BY, the keyset comparison and the
name-walk index (directory migration 0003) all agree, and no write path has to
fill anything: PostgreSQL uses ICU's root collation; SQLite gets a Python
collation registered on every connection Django opens (``connection_created``).

A tool opening the SQLite file without Django must register it too
(``register_sqlite``) before writing to ``accounts_member``.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any

from unidecode import unidecode

NAME_COLLATION = "eq_name"
# The columns of Member sorted with NAME_COLLATION.
COLLATED_COLUMNS = frozenset({"last_name", "first_name"})


@lru_cache(maxsize=65536)
def name_key(text: str) -> tuple[str, str]:
    """Return the sort key of a name: folded (no accents, lower case) first, the exact text to break ties.

    Deterministic (two different names never compare equal), so SQLite can use it
    in an index; names repeat a lot, hence the cache.
    """
    folded = text.lower() if text.isascii() else unidecode(text).lower()
    return folded, text


def compare_names(a: str, b: str) -> int:
    """Compare two names for SQLite's ``create_collation`` (negative, zero, positive)."""
    ka, kb = name_key(a), name_key(b)
    return (ka > kb) - (ka < kb)


def register_sqlite(raw: sqlite3.Connection) -> None:
    """Register the ``eq_name`` collation on a raw SQLite connection."""
    raw.create_collation(NAME_COLLATION, compare_names)


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Register the collation on each new SQLite connection Django opens."""
    if connection.vendor == "sqlite":
        register_sqlite(connection.connection)
