"""Order and page members by name the way the console does, on the directory's name index.

« Élodie » sorts with the E, not after « Zoé »: PostgreSQL by the ``eq_name``
collation, SQLite by the key function ``eq_name_key`` (collation.py). The
expressions here are exactly those of the name-walk index
``directory_member_name_cover`` (organization, last name, first name, id),
so a query filtered on one organization and ordered by ``name_order()``
walks that index and stops at its page instead of sorting. Any listing of
members by name (API, export, console pickers) orders through here, so every
surface shows the same order. It lives in ``accounts`` (with ``collation.py``),
below the directory and groups, because the order is the member's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import CharField, F, Func, Model, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.functions import Collate

from equipage.accounts.collation import (
    COLLATED_COLUMNS,
    NAME_COLLATION,
    NAME_KEY_FUNCTION,
    name_sort_key,
)

# The name order's columns, the id breaking ties between identical names.
NAME_COLUMNS = ("last_name", "first_name", "id")


def name_expression(field: str) -> Any:
    """Return a name field's ORM expression in name order (the index's expression).

    ``field`` may go through a relation (``member__last_name``): the order is
    then the same, though no index of the joined table serves it.
    """
    if connection.vendor == "sqlite":
        return Func(F(field), function=NAME_KEY_FUNCTION, output_field=CharField())
    return Collate(F(field), NAME_COLLATION)


def name_order(prefix: str = "", *, descending: bool = False) -> list[OrderBy]:
    """Return the ORDER BY of members by last name, first name, then id, accent-insensitively.

    ``prefix`` reaches the member through a relation (``"member__"``). Equal
    folded names are ordered by their exact text (the key function on SQLite,
    ICU's deterministic tie-break on PostgreSQL), then by id: a total order.
    """
    last, first, pk = (f"{prefix}{c}" for c in NAME_COLUMNS)
    return [
        OrderBy(name_expression(last), descending=descending),
        OrderBy(name_expression(first), descending=descending),
        OrderBy(F(pk), descending=descending),
    ]


def order_expression(column: str, descending: bool = False) -> OrderBy:
    """Order by one column of Member, names in name order, other columns as they are."""
    expr = name_expression(column) if column in COLLATED_COLUMNS else F(column)
    return OrderBy(expr, descending=descending)


def name_sql(sql: str) -> str:
    """Return a name column's SQL in name order: the key function (SQLite), the collation (PostgreSQL).

    Exactly the expressions of the name-walk index (directory 0006 and 0005),
    so the planner walks it instead of sorting.
    """
    if connection.vendor == "sqlite":
        return f"{NAME_KEY_FUNCTION}({sql})"
    return f"{sql} COLLATE {NAME_COLLATION}"


def column_sql(table: str, column: str) -> str:
    """Return ``table.column`` as SQL, in name order when it is a name column."""
    sql = f'"{table}"."{column}"'
    return name_sql(sql) if column in COLLATED_COLUMNS else sql


def key_value(column: str, value: Any) -> Any:
    """Return a cursor value as the database compares it: SQLite compares names by their key."""
    if column in COLLATED_COLUMNS and connection.vendor == "sqlite":
        return name_sort_key(value)
    return value


def keyset[M: Model](
    qs: QuerySet[M], columns: Sequence[str], values: Sequence[Any], op: str, *, keyed: bool = False
) -> QuerySet[M]:
    """Keep the rows strictly after (``op`` ">") or before ("<") ``values`` in ``columns`` order.

    ``columns`` are the model's own columns (names compared in name order, as
    ``order_expression`` sorts them); ``values`` are the raw cursor values (names
    as stored; ``keyed``: already as ``key_value`` returns them). A row-value comparison, which SQLite and PostgreSQL answer from
    the composite index, plus a bound on the first column alone: SQLite does not
    turn a row value of expressions into an index range by itself (240 ms → 2 ms
    at 1M members).
    """
    if op not in ("<", ">"):
        raise ValueError(f"keyset operator must be < or >, not {op!r}")
    table = qs.model._meta.db_table
    keys = (
        list(values) if keyed else [key_value(c, v) for c, v in zip(columns, values, strict=True)]
    )
    first = column_sql(table, columns[0])
    cols = ", ".join(column_sql(table, c) for c in columns)
    marks = ", ".join(["%s"] * len(keys))
    where = f"{first} {op}= %s AND ({cols}) {op} ({marks})"
    return qs.extra(where=[where], params=[keys[0], *keys])  # noqa: S610


def after_name[M: Model](
    qs: QuerySet[M], last_name: str, first_name: str, pk: int, *, descending: bool = False
) -> QuerySet[M]:
    """Keep the members after (last name, first name, id) in ``name_order(descending=...)``."""
    return keyset(qs, NAME_COLUMNS, [last_name, first_name, pk], "<" if descending else ">")
