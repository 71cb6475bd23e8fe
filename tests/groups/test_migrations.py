"""Groups 0003 (and accounts 0009) store name keys, leaving older twins as they are.

The attack: an organization with « Résidents » and « residents » (allowed
before names were unique) migrated: the migration must not fail on the new
unique constraint, nor rename, merge or delete anything; the twin is reported
and left without a key, and the constraint then holds for every new name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from equipage.core.name_keys import fill_name_keys
from equipage.core.text import fold, stored_key
from equipage.groups.models import Group, GroupMembership, Label

BEFORE = ("groups", "0002_own_fk_indexes_dropped")
AFTER = ("groups", "0003_group_and_label_name_keys")


@pytest.fixture
def back_to_latest() -> Iterator[None]:
    yield
    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_older_twins_and_reports_them(
    org: Any, owner: Any, member: Any, back_to_latest: None, capsys: Any
) -> None:
    from django.db import connection

    call_command("migrate", *BEFORE, verbosity=0)
    now = timezone.now()
    with connection.cursor() as cursor:  # the table as 0002 left it: no name_key column
        for name in ("Résidents", "residents", "Visiteurs"):
            cursor.execute(
                "INSERT INTO groups_group (organization_id, name, visibility, path, created_at,"
                " parent_id) VALUES (%s, %s, 'public', '/', %s, NULL)",
                [org.pk, name, now],
            )
        cursor.execute(
            "INSERT INTO groups_label (organization_id, name, color) VALUES (%s, 'VIP', '#000000'),"
            " (%s, 'vip', '#000000')",
            [org.pk, org.pk],
        )
    call_command("migrate", *AFTER, verbosity=1)
    assert "“residents”" in capsys.readouterr().out
    keys = dict(Group.objects.filter(organization=org).values_list("name", "name_key"))
    assert keys["Résidents"] == stored_key("Résidents") and keys["residents"] is None
    assert keys["Visiteurs"] == stored_key("visiteurs")
    assert sorted(Label.objects.filter(organization=org).values_list("name", flat=True)) == [
        "VIP",
        "vip",
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.create(
            organization=org, name="RESIDENTS", name_key=stored_key("RESIDENTS"), created_at=now
        )


@pytest.mark.django_db
def test_filling_keys_leaves_the_later_twin_and_its_members_untouched(
    org: Any, owner: Any, member: Any
) -> None:
    now = timezone.now()
    first = Group.objects.create(organization=org, name="Résidents", created_at=now)
    twin = Group.objects.create(organization=org, name="residents ", created_at=now)
    GroupMembership.objects.create(organization=org, group=twin, member=member)
    Group.objects.filter(organization=org).update(name_key=None)
    report = fill_name_keys(Group, fold, "group")
    assert len(report) == 1 and "“Résidents”" in report[0]
    first.refresh_from_db()
    twin.refresh_from_db()
    assert (first.name_key, twin.name_key) == (stored_key("Résidents"), None)
    assert GroupMembership.objects.filter(group=twin, member=member).exists()


@pytest.mark.django_db
def test_recomputing_keys_reads_separators_as_one_and_reports_the_new_twin(
    org: Any, owner: Any, member: Any
) -> None:
    """Groups 0004: keys stored with ``fold`` (0003) recomputed with ``list_name_key``.

    The attack: « Sales, EMEA » and « Sales; EMEA » held distinct keys; the
    second now reads as the first and must lose its key rather than fail the
    constraint, and keep its members; « Nord » keeps its key untouched.
    """
    from equipage.core.text import list_name_key

    now = timezone.now()
    first = Group.objects.create(organization=org, name="Sales, EMEA", created_at=now)
    twin = Group.objects.create(organization=org, name="Sales; EMEA", created_at=now)
    plain = Group.objects.create(organization=org, name="Nord", created_at=now)
    for group in (first, twin, plain):
        Group.objects.filter(pk=group.pk).update(name_key=stored_key(group.name, fold))
    GroupMembership.objects.create(organization=org, group=twin, member=member)
    report = fill_name_keys(Group, list_name_key, "group")
    assert len(report) == 1 and "“Sales; EMEA”" in report[0]
    mine = (first.pk, twin.pk, plain.pk)
    keys = dict(Group.objects.filter(pk__in=mine).values_list("name", "name_key"))
    assert keys == {
        "Sales, EMEA": stored_key("Sales, EMEA"),
        "Sales; EMEA": None,
        "Nord": stored_key("Nord", fold),
    }
    assert stored_key("Nord", fold) == stored_key("Nord")  # a name without separator: same key
    assert GroupMembership.objects.filter(group=twin, member=member).exists()
