"""A bulk action's id list is one SQL parameter: any length, exactly those rows."""

from __future__ import annotations

import pytest

from equipage.accounts.models import Member
from equipage.core.idlist import id_list


@pytest.mark.django_db
def test_id_list_selects_exactly_the_given_members(org, owner, admin, member, outsider) -> None:
    wanted = [member.pk, outsider.pk, 10**12]  # one id no row has
    found = set(Member.objects.filter(pk__in=id_list(wanted)).values_list("pk", flat=True))
    assert found == {member.pk, outsider.pk}


@pytest.mark.django_db
def test_id_list_binds_more_ids_than_sqlite_allows_parameters(org, member) -> None:
    # SQLite refuses statements with more than 32,766 bound parameters.
    many = [member.pk, *range(10**9, 10**9 + 60_000)]
    assert list(Member.objects.filter(pk__in=id_list(many)).values_list("pk", flat=True)) == [
        member.pk
    ]


@pytest.mark.django_db
def test_id_list_of_nothing_selects_nothing(org, member) -> None:
    assert not Member.objects.filter(pk__in=id_list([])).exists()
