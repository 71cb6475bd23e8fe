"""A prepared read: compiled once by the ORM, run with each call's values, converted as the ORM does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from equipage.accounts.models import Member
from equipage.core.prepared import Prepared

pytestmark = pytest.mark.django_db


def test_each_call_binds_its_own_values_and_gets_the_orm_s_types(
    owner: Any, admin: Any, other_owner: Any
) -> None:
    builds = []

    def build(pk: int, org: int) -> Any:
        builds.append((pk, org))
        return Member.objects.filter(pk=pk, organization_id=org).values_list(
            "login", "created_at", "is_superuser"
        )

    read = Prepared(build, -7_000_001, -7_000_002)
    login, created_at, superuser = read.first(owner.pk, owner.organization_id)
    assert login == owner.login
    assert isinstance(created_at, dt.datetime) and created_at.tzinfo is not None
    assert created_at == owner.created_at
    assert superuser is False  # a bool, not SQLite's 0
    assert read.first(admin.pk, admin.organization_id)[0] == admin.login
    # Another organization's id with this one's: nothing, as the ORM would answer.
    assert read.first(other_owner.pk, owner.organization_id) is None
    assert len(builds) == 1, "the ORM builds the query once a process"


def test_a_sample_bound_in_two_places_gets_the_value_in_both(owner: Any, admin: Any) -> None:
    read = Prepared(
        lambda pk: Member.objects.filter(
            pk=pk, organization_id__in=Member.objects.filter(pk=pk).values("organization_id")
        ).values_list("pk"),
        -7_000_001,
    )
    assert read.rows(owner.pk) == [(owner.pk,)]  # the sample left in either place finds nothing
    assert read.rows(admin.pk) == [(admin.pk,)]


def test_a_sample_the_query_does_not_bind_as_given_is_refused() -> None:
    # Here the build binds the sample's length, not the sample: it cannot be found.
    lost = Prepared(lambda login: Member.objects.filter(pk=len(login)).values_list("pk"), "abc")
    with pytest.raises(ImproperlyConfigured, match="not bound"):
        lost.rows("xyz")


def test_a_call_with_the_wrong_number_of_values_is_refused() -> None:
    read = Prepared(lambda pk: Member.objects.filter(pk=pk).values_list("pk"), -7_000_001)
    with pytest.raises(TypeError):
        read.rows(1, 2)
