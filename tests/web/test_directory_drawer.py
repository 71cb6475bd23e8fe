"""The directory's filter drawer is laid out once per process, never shown stale or wrong.

The attack: a drawer kept from one page is served to another page whose filter,
language or catalog differs (the selected role of someone else's search, the
English words on a French page, a label that no longer exists).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from equipage.directory.catalog import directory_catalog
from equipage.groups.actions import label_create
from equipage.groups.models import Label
from equipage.web.directory_drawer import TEMPLATE


def _drawer(client: Client, org: Any, query: str = "") -> str:
    page = client.get(f"/o/{org.slug}/members{query}").content.decode()
    start = page.index('<details class="filter-drawer"')
    return page[start : page.index("</details>", start)]


def _client(owner: Any) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def test_each_filter_gets_its_own_selections(org: Any, owner: Any, groups: dict[str, Any]) -> None:
    client = _client(owner)
    plain = _drawer(client, org)
    admins = _drawer(client, org, "?role=admin&sort=-created&idle=30")
    assert " selected" not in plain.replace('value="name" selected', "")
    assert '<option value="admin" selected>' in admins
    assert '<option value="-created" selected>' in admins
    assert '<option value="30" selected>' in admins
    nord = groups["nord"].pk
    assert f'<option value="{nord}" selected>' in _drawer(client, org, f"?group={nord}")
    assert _drawer(client, org) == plain  # the kept one, unchanged by the others
    # The words searched and the cursors are not the drawer's: one drawer serves them all.
    assert _drawer(client, org, "?q=olivia") == plain


def test_the_drawer_speaks_the_readers_language(org: Any, owner: Any) -> None:
    label_create(actor=owner, organization=org, name="Bénévole")  # a catalog version: kept
    client = _client(owner)
    assert "All labels" in _drawer(client, org)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    french = _drawer(client, org)
    assert "All labels" not in french and "Toutes les étiquettes" in french
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "All labels" in _drawer(client, org)
    assert directory_catalog(org).laid_out  # the drawers were kept, not laid out each time


def test_a_label_written_anywhere_shows_in_the_kept_drawer(org: Any, owner: Any) -> None:
    label_create(actor=owner, organization=org, name="Bénévole")  # a catalog version: kept
    client = _client(owner)
    assert "Donateur" not in _drawer(client, org)
    assert directory_catalog(org).laid_out
    label_create(actor=owner, organization=org, name="Donateur")
    assert ">Donateur</option>" in _drawer(client, org)
    Label.objects.filter(organization=org, name="Donateur").update(name="Mécène <VIP>")
    drawer = _drawer(client, org)
    assert "Donateur" not in drawer and ">Mécène &lt;VIP&gt;</option>" in drawer


def test_the_drawer_holds_nothing_of_the_viewer(org: Any, owner: Any) -> None:
    """Kept for every viewer of the organization: no token, no name, no personal link."""
    source = (settings.BASE_DIR / "web/templates" / TEMPLATE).read_text()
    for personal in ("csrf", "user", "request", "actor", "can_"):
        assert personal not in source
