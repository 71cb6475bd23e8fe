"""ORM reads compiled once a process and run with new values on every request (#20).

Building and compiling a query with the ORM (filters, joins, the SQL text, the
columns' converters) costs 0.3 to 1 ms of Python a statement: several times what
SQLite or PostgreSQL take to answer the small reads every console request makes
(its session, the signed-in member, the session's record, the page's rows). A
``Prepared`` read lets the ORM write the SQL once, from sample values; each call
then binds its own values where the samples were and converts the columns as the
ORM does (aware datetimes, booleans, JSON).

The ORM stays the one author of the SQL: columns, joins, quoting and each
engine's dialect come from the queryset. Rules:

- ``build`` returns a ``values_list`` queryset whose SQL depends on nothing but
  its arguments (not the clock, the language or a setting);
- the samples are integers or strings that the ORM binds as given, each found
  among the compiled parameters (else ``ImproperlyConfigured`` at the first
  call: a test of the caller shows it); a sample bound in several places (an
  organization's id in a query and its subquery) gets the value in each. Pick
  samples no real value or constant of the query equals (``-7_000_001``,
  ``"\x00name"``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import QuerySet


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    positions: tuple[tuple[int, ...], ...]  # where each sample is bound
    # Column position -> (converter functions, expression), as the ORM's compiler has them.
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


class Prepared:
    """A ``values_list`` read whose SQL the ORM writes once a process."""

    def __init__(self, build: Callable[..., QuerySet[Any]], *samples: int | str) -> None:
        self.build = build
        self.samples = samples
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        """Run the read with ``values`` in the samples' places; return its converted rows."""
        if len(values) != len(self.samples):
            raise TypeError(f"{len(self.samples)} values expected, {len(values)} given")
        compiled = self._compiled.get(connection.vendor) or self._compile()
        params = list(compiled.params)
        for positions, value in zip(compiled.positions, values, strict=True):
            for position in positions:
                params[position] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        if not compiled.converters:
            return [tuple(row) for row in fetched]
        converted = []
        for row in fetched:
            items = list(row)
            for position, functions, expression in compiled.converters:
                value = items[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                items[position] = value
            converted.append(tuple(items))
        return converted

    def first(self, *values: Any) -> tuple[Any, ...] | None:
        found = self.rows(*values)
        return found[0] if found else None

    def _compile(self) -> _Compiled:
        with self._lock:
            kept = self._compiled.get(connection.vendor)
            if kept is not None:  # another thread compiled it meanwhile
                return kept
            queryset = self.build(*self.samples)
            compiler = queryset.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            positions = tuple(_position(params, sample) for sample in self.samples)
            fields = [column[0] for column in compiler.select[: compiler.col_count]]
            converters = tuple(
                (position, tuple(functions), expression)
                for position, (functions, expression) in compiler.get_converters(fields).items()
            )
            compiled = _Compiled(sql, tuple(params), positions, converters)
            self._compiled[connection.vendor] = compiled
            return compiled


def _position(params: Sequence[Any], sample: int | str) -> tuple[int, ...]:
    found = [i for i, value in enumerate(params) if type(value) is type(sample) and value == sample]
    if not found:
        raise ImproperlyConfigured(f"the sample {sample!r} is not bound in the prepared query")
    return tuple(found)
