"""Directory migration 0006 swaps SQLite's collated name index for the key-function one, and back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from tests.conftest import make_member

BEFORE = ("directory", "0005_state_changes_in_place")
AFTER = ("directory", "0006_name_walk_by_key_function")


def _index_sql() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index'"
                " AND name = 'directory_member_name_cover'"
            )
        else:
            cur.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'directory_member_name_cover'"
            )
        row = cur.fetchone()
    assert row is not None, "the name-walk index must exist"
    return str(row[0])


def _last_names(admin: Any) -> list[str]:
    from equipage.directory.selectors import DirectoryQuery, directory_page
    from equipage.permissions import Actor

    page = directory_page(Actor.for_member(admin), DirectoryQuery.from_params({"q": "camille"}))
    return [m.last_name for m in page.members]


@pytest.fixture
def back_to_latest() -> Iterator[None]:
    """Leave the database migrated to the latest state whatever the test did."""
    yield
    # Every app to its last migration, not just AFTER: going back also unapplied the later
    # migrations of other apps that depend on this one (directory 0007's catalog table).
    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_migration_down_restores_the_collated_index_and_up_the_key_function(
    org: Any, owner: Any, admin: Any, back_to_latest: None
) -> None:
    from django.db import connection

    for i, name in enumerate(["Zoé", "Émile", "Dupont", "élodie"]):
        make_member(org, owner, "Camille", name, login=f"mig{i}", email=f"mig{i}@x.test")
    expected = ["Dupont", "élodie", "Émile", "Zoé"]
    latest = _index_sql()

    call_command("migrate", *BEFORE, verbosity=0)
    down = _index_sql()
    assert _last_names(admin) == expected
    # A write with the old index in place still works (the collation stays registered).
    make_member(org, owner, "Camille", "Abel", login="mig.abel", email="abel@x.test")

    call_command("migrate", *AFTER, verbosity=0)
    up = _index_sql()
    make_member(org, owner, "Camille", "Éa", login="mig.ea", email="ea@x.test")
    assert _last_names(admin) == ["Abel", "Dupont", "Éa", "élodie", "Émile", "Zoé"]
    assert up == latest
    if connection.vendor == "sqlite":
        assert "COLLATE eq_name" in down and "eq_name_key" not in down, down
        assert (
            "(organization_id, eq_name_key(last_name), eq_name_key(first_name), id, search_text,"
            " last_name, first_name)" in up
        ), up
        with connection.cursor() as cur:
            cur.execute("PRAGMA integrity_check")
            assert cur.fetchone()[0] == "ok"
    else:
        # PostgreSQL keeps its ICU-collated index: 0006 changes nothing there.
        assert down == up and "last_name COLLATE eq_name" in up, up
