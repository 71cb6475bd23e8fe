"""A list of ids bound as one SQL parameter, for the bulk actions' ``IN`` filters.

``pk__in=[...]`` with 50,000 ids builds and binds 50,000 placeholders (and on
SQLite must be cut into chunks under its parameter limit): a second of Python
before the database even starts. Here the list travels as one value: a JSON
array read by ``json_each`` on SQLite, a ``bigint[]`` on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection
from django.db.models.expressions import RawSQL


def id_list(ids: Sequence[int]) -> RawSQL:
    """Return a subquery yielding ``ids``, for ``filter(pk__in=id_list(ids))``."""
    return id_subquery(encode_ids(ids))


def encode_ids(ids: Sequence[int]) -> str:
    """Return ``ids`` as the one parameter ``id_subquery`` binds (this engine's form)."""
    values = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        # An array literal, bound as text: psycopg dumps a list of 50,000 ints in Python.
        return "{" + ",".join(map(str, values)) + "}"
    return json.dumps(values)


def id_subquery(encoded: str) -> RawSQL:
    """Return the subquery yielding the ids ``encoded`` by ``encode_ids``."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [encoded])
    return RawSQL("SELECT value FROM json_each(%s)", [encoded])
