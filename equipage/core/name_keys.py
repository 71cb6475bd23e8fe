"""Filling the stored name keys of rows made before names were unique (groups 0003, accounts 0009).

Also recomputing them when the rule changes (groups 0004: separators read as one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import connections

from equipage.core.text import stored_key

log = logging.getLogger("equipage.migrations")


def fill_name_keys(model: Any, key: Callable[[str], str], what: str) -> list[str]:
    """Give each row its stored key; leave the later of two twins without one, and say so.

    Nothing is renamed, merged or deleted: a twin keeps its name, its members
    and its values, and the import names it in an error until someone renames
    or deletes one of the two. Returns the report's lines (also logged and printed).
    """
    seen: dict[tuple[int, str], str] = {}
    report: list[str] = []
    changed: dict[int, str | None] = {}
    rows = model.objects.order_by("organization_id", "pk").values_list(
        "pk", "organization_id", "name", "name_key"
    )
    for pk, organization_id, name, held in rows.iterator(2000):
        stored = stored_key(name, key)
        first = seen.get((organization_id, stored))
        if first is None:
            seen[(organization_id, stored)] = name
            if held != stored:
                changed[pk] = stored
            continue
        if held is not None:
            changed[pk] = None
        line = (
            f"{what} {pk} “{name}” of organization {organization_id} reads as “{first}” to the "
            "import: left as it is (rename or delete one of them)."
        )
        report.append(line)
        log.warning(line)
        print(f"  {line}")  # the operator running `equipage migrate` sees it
    # Keys recomputed under a new rule (groups 0004) may swap between rows: clear, then set.
    model.objects.filter(pk__in=list(changed)).update(name_key=None)
    for pk, stored_value in changed.items():
        if stored_value is not None:
            model.objects.filter(pk=pk).update(name_key=stored_value)
    _fire_deferred_checks(model)
    return report


def _fire_deferred_checks(model: Any) -> None:
    """Run PostgreSQL's deferred foreign-key checks now, not at the migration's commit.

    The updates above queue them; the migration's next step (the unique
    constraint) is an ALTER TABLE, which PostgreSQL refuses while trigger
    events are pending ("cannot ALTER TABLE ... pending trigger events").
    """
    connection = connections[model.objects.db]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
