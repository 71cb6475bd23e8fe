"""The directory's filter choices are kept by each process and never shown out of date.

The attack: a process keeps its copy of the groups, labels and custom fields, and
someone changes them (an action, a bulk write, raw SQL, another process): the next
page must show the change.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from equipage.accounts.actions import custom_field_create
from equipage.directory.catalog import directory_catalog
from equipage.groups.actions import group_create, label_create
from equipage.groups.models import Group, Label
from tests.live import create_acme, shared_database


def _page(owner: Any, org: Any) -> str:
    client = Client()
    client.force_login(owner)
    response = client.get(f"/o/{org.slug}/members")
    assert response.status_code == 200
    return response.content.decode()


def test_a_kept_catalog_costs_one_query_a_page(
    org: Any, owner: Any, groups: dict[str, Any]
) -> None:
    first = directory_catalog(org)
    with CaptureQueriesContext(connection) as seen:
        again = directory_catalog(org)
    assert again is first
    assert len(seen.captured_queries) == 1  # the version


def test_the_selected_group_is_marked_and_only_it(org: Any, groups: dict[str, Any]) -> None:
    catalog = directory_catalog(org)
    nord = groups["nord"].pk
    marked = catalog.group_options(nord)
    assert f'<option value="{nord}" selected>— Ventes Nord</option>' in marked
    assert marked.count(" selected") == 1
    assert catalog.group_options(None) == catalog.options
    assert " selected" not in catalog.group_options(10**9)


def test_every_kind_of_change_shows_on_the_next_page(
    org: Any, owner: Any, groups: dict[str, Any]
) -> None:
    assert "Atelier" in _page(owner, org)  # the copy is kept from here on
    group_create(actor=owner, organization=org, name="Comptabilité")
    assert "Comptabilité" in _page(owner, org)
    # Writes that go around the actions: a queryset update, a bulk insert, a delete.
    Group.objects.filter(pk=groups["atelier"].pk).update(name="Atelier <Sud>")
    page = _page(owner, org)
    assert "Atelier &lt;Sud&gt;" in page and ">Atelier</option>" not in page
    Label.objects.bulk_create([Label(organization=org, name="Bénévole", name_key="benevole")])
    assert ">Bénévole</option>" in _page(owner, org)
    Group.objects.filter(pk=groups["atelier"].pk).delete()
    assert "Atelier" not in _page(owner, org)
    label_create(actor=owner, organization=org, name="Donateur")
    custom_field_create(actor=owner, organization=org, name="Taille")
    page = _page(owner, org)
    assert ">Donateur</option>" in page and ">Taille</option>" in page


def test_another_organizations_changes_leave_this_ones_copy(
    org: Any, owner: Any, other_org: Any, other_owner: Any, groups: dict[str, Any]
) -> None:
    kept = directory_catalog(org)
    group_create(actor=other_owner, organization=other_org, name="Ailleurs")
    assert directory_catalog(org) is kept
    assert "Ailleurs" not in _page(owner, org)


READER = """
import sys
import django
django.setup()
from django.test import Client
from equipage.accounts.models import Member
from equipage.directory.catalog import directory_catalog
owner = Member.objects.get(email="owner@acme.test")
client = Client()
client.force_login(owner)
for line in sys.stdin:
    page = client.get("/o/acme/members").content.decode()
    kept = directory_catalog(owner.organization) is directory_catalog(owner.organization)
    print("Atelier" in page, "Entrepôt" in page, kept, flush=True)
"""

WRITER = """
import sys
import django
django.setup()
from equipage.accounts.models import Member
from equipage.groups.actions import group_create
owner = Member.objects.get(email="owner@acme.test")
group_create(actor=owner, organization=owner.organization, name=sys.argv[1])
"""


@pytest.mark.django_db(transaction=True)
def test_a_group_added_by_another_process_shows_at_once(tmp_path: Path) -> None:
    with shared_database(tmp_path) as env:
        create_acme(env)
        env = {**env, "DJANGO_SETTINGS_MODULE": "equipage.settings", "EQUIPAGE_ALLOWED_HOSTS": "*"}
        reader = subprocess.Popen(
            [sys.executable, "-c", READER],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert reader.stdin is not None and reader.stdout is not None

        def write(name: str) -> None:
            done = subprocess.run(
                [sys.executable, "-c", WRITER, name],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr

        def read() -> str:
            assert reader.stdin is not None and reader.stdout is not None
            reader.stdin.write("page\n")
            reader.stdin.flush()
            return reader.stdout.readline().strip()

        try:
            write("Atelier")
            assert read() == "True False True"  # the reader keeps its copy from here on
            write("Entrepôt")
            assert read() == "True True True"
        finally:
            reader.kill()
            reader.wait()
