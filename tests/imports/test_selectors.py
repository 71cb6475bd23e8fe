"""The export lists members in the console's name order, on the directory's name index."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_member
from tests.directory.plans import assert_walks_name_index, captured, name_query

pytestmark = pytest.mark.django_db

NAMES = ["Zoé", "Zola", "Élodie", "Emma", "de la Fontaine", "Dupont", "Durand", "Eva"]
SORTED = ["de la Fontaine", "Dupont", "Durand", "Élodie", "Emma", "Eva", "Zoé", "Zola"]


@pytest.fixture
def named(org: Any, owner: Any, groups: dict[str, Any]) -> list[Any]:
    """The names in acme, the first half in the group « Ventes »."""
    return [
        make_member(
            org,
            owner,
            "Camille",
            name,
            groups=[groups["ventes"]] if i < 4 else [],
            email=f"n{i}@acme.test",
            login=f"name{i}",
        )
        for i, name in enumerate(NAMES)
    ]


def _exported(org: Any, member: Any) -> list[str]:
    from equipage.imports.selectors import export_rows
    from equipage.permissions import Actor

    return [r["last_name"] for r in export_rows(org, Actor.for_member(member))]


def test_export_lists_names_accent_insensitively(org: Any, admin: Any, named: Any) -> None:
    assert [n for n in _exported(org, admin) if n in NAMES] == SORTED


def test_export_by_a_group_admin_keeps_the_order_of_the_members_in_reach(
    org: Any, group_admin: Any, named: Any
) -> None:
    in_group = set(NAMES[:4])
    assert [n for n in _exported(org, group_admin) if n in NAMES] == [
        n for n in SORTED if n in in_group
    ]


def test_export_of_another_organization_lists_none_of_these_names(
    other_org: Any, other_admin: Any, named: Any
) -> None:
    names = _exported(other_org, other_admin)
    assert names and not set(names) & set(NAMES)


def test_export_walks_the_name_index(org: Any, admin: Any, named: Any) -> None:
    with captured() as ctx:
        assert _exported(org, admin)
    assert_walks_name_index(name_query(ctx))
