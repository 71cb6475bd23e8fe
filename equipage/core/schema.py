"""Schema steps the migrations share: dropping an index a composite one makes redundant.

A foreign key gets an index of its own by default. Where a composite index
already starts with that column, the extra index only costs: one more entry
to write for every inserted row and every non-HOT update. The migrations drop
it with ``DROP INDEX`` rather than ``AlterField``, which on SQLite rebuilds the
whole table (and would lose the directory's triggers on accounts_member).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def drop_own_index(table: str, column: str) -> migrations.RunPython:
    """Return a migration step dropping the plain one-column index on ``table.column``."""

    def forward(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        for name, info in constraints.items():
            if info["index"] and not info["unique"] and info["columns"] == [column]:
                schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def backward(apps: Any, schema_editor: Any) -> None:
        name = schema_editor.quote_name(f"{table}_{column}_own"[:63])
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {schema_editor.quote_name(table)}"
            f" ({schema_editor.quote_name(column)})"
        )

    return migrations.RunPython(forward, backward)


def sql_per_vendor(
    up: dict[str, list[str]], down: dict[str, list[str]] | None = None
) -> migrations.RunPython:
    """Return a migration step running raw SQL chosen by database vendor ("sqlite", "postgresql").

    For what Django's schema operations cannot say: SQLite FTS5 tables and
    triggers, PostgreSQL trigram and covering indexes, collations, triggers.
    """

    def run(statements: dict[str, list[str]]) -> Any:
        def apply(apps: Any, schema_editor: Any) -> None:
            for sql in statements.get(schema_editor.connection.vendor, []):
                schema_editor.execute(sql)

        return apply

    return migrations.RunPython(run(up), run(down or {}))
