"""Core's migrations: the shared cache table exists; django-axes' old tables go."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@pytest.mark.django_db(transaction=True)
def test_upgrade_drops_the_tables_django_axes_left_behind() -> None:
    try:
        call_command("migrate", "core", "0001_shared_cache", verbosity=0)
        with connection.cursor() as cursor:
            # What an instance that ran django-axes still holds: addresses of old failures.
            cursor.execute(
                "CREATE TABLE axes_accessattempt (id integer PRIMARY KEY, ip_address text)"
            )
            cursor.execute("CREATE TABLE axes_accesslog (id integer PRIMARY KEY, ip_address text)")
        call_command("migrate", "core", verbosity=0)
        assert not {t for t in _tables() if t.startswith("axes_")}
        assert "equipage_cache" in _tables()
    finally:
        call_command("migrate", verbosity=0)


def test_the_shared_cache_table_is_made_by_migrations(db: Any) -> None:
    assert "equipage_cache" in _tables()
