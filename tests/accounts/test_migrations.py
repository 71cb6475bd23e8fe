"""Accounts 0006 drops the binary name index; the directory's name index and triggers stay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from tests.conftest import make_member

BEFORE = ("accounts", "0005_member_state_index_to_directory")
AFTER = ("accounts", "0006_drop_binary_name_index")


def _indexes() -> dict[str, list[str]]:
    """Return the non-unique indexes of accounts_member with their columns."""
    from django.db import connection

    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, "accounts_member")
    return {name: info["columns"] for name, info in found.items() if info["index"]}


def _binary_name_indexes() -> list[str]:
    wanted = ["organization_id", "last_name", "first_name", "id"]
    return [name for name, columns in _indexes().items() if columns == wanted]


@pytest.mark.django_db
def test_no_binary_name_index_exists_after_migrate() -> None:
    indexes = _indexes()
    assert "member_org_name" not in indexes
    assert _binary_name_indexes() == []
    assert "directory_member_name_cover" in indexes


@pytest.fixture
def back_to_latest() -> Iterator[None]:
    """Leave the database migrated to the latest state whatever the test did."""
    yield
    call_command("migrate", verbosity=0)  # every app to its last migration, not just AFTER


@pytest.mark.django_db(transaction=True)
def test_migration_down_restores_the_index_and_up_drops_it_keeping_the_directory(
    org: Any, owner: Any, admin: Any, back_to_latest: None
) -> None:
    from django.db import connection

    from equipage.directory.selectors import DirectoryQuery, directory_page
    from equipage.permissions import Actor

    call_command("migrate", *BEFORE, verbosity=0)
    assert "member_org_name" in _indexes()
    call_command("migrate", *AFTER, verbosity=0)
    assert "member_org_name" not in _indexes()
    assert "directory_member_name_cover" in _indexes()
    # The later migrations too (new columns of the member: the ORM writes them), which
    # must not rebuild the table either.
    call_command("migrate", verbosity=0)
    assert "directory_member_name_cover" in _indexes()
    # The table was not rebuilt: the directory's search triggers still index a new member.
    make_member(org, owner, "Camille", "Zoé", login="mig.zoe", email="zoe@x.test")
    make_member(org, owner, "Camille", "Élodie", login="mig.elodie", email="elodie@x.test")
    page = directory_page(Actor.for_member(admin), DirectoryQuery.from_params({"q": "camille"}))
    assert [m.last_name for m in page.members] == ["Élodie", "Zoé"]
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA integrity_check")
            assert cur.fetchone()[0] == "ok"
