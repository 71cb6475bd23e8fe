"""The bulk actions' member loader: only the asked columns, real instances all the same."""

from __future__ import annotations

import pytest

from equipage.accounts.bulk import load_members
from equipage.accounts.models import Member


@pytest.mark.django_db
def test_load_members_gives_the_asked_columns_of_the_organization_only(
    org, member, outsider, other_member
) -> None:
    loaded = load_members(
        org.pk, [member.pk, outsider.pk, other_member.pk], ["id", "state", "email"]
    )
    assert sorted(m.pk for m in loaded) == sorted([member.pk, outsider.pk])
    by_id = {m.pk: m for m in loaded}
    assert by_id[member.pk].email == member.email
    assert by_id[member.pk].state == member.state
    assert by_id[member.pk].get_deferred_fields() >= {"first_name", "password"}


@pytest.mark.django_db
def test_loaded_member_reads_other_fields_on_demand_and_saves(org, member) -> None:
    (loaded,) = load_members(org.pk, [member.pk], ["id", "state"])
    assert loaded.first_name == member.first_name  # loaded on first access
    loaded.job_title = "Trésorière"
    loaded.save(update_fields=["job_title"])
    assert Member.objects.get(pk=member.pk).job_title == "Trésorière"
