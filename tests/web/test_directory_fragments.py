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
from equipage.web.directory_fragments import TEMPLATE


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


def _bulk_bar(client: Client, org: Any, query: str = "") -> str:
    page = client.get(f"/o/{org.slug}/members{query}").content.decode()
    if 'id="bulk-bar"' not in page:
        return ""
    start = page.index('<div class="bulk-bar"')
    return page[start : page.index('<div class="table-wrap"', start)]


def test_each_viewer_gets_the_bulk_buttons_of_their_own_role(
    org: Any, owner: Any, user_admin: Any, group_admin: Any, member: Any
) -> None:
    """The attack: the owner's kept bar (roles to grant up to admin) shown to a lesser admin."""
    label_create(actor=owner, organization=org, name="Bénévole")  # a catalog version: kept
    owners = _bulk_bar(_client(owner), org)
    assert '<option value="admin"' in owners and 'value="delete"' in owners
    lesser = _bulk_bar(_client(user_admin), org)
    assert lesser and '<option value="admin"' not in lesser
    groups_only = _bulk_bar(_client(group_admin), org)
    assert groups_only and groups_only != lesser and '<option value="user_admin"' not in groups_only
    assert _bulk_bar(_client(member), org) == ""  # no bulk action: no bar at all
    assert _bulk_bar(_client(owner), org) == owners


def test_the_bulk_bar_counts_the_page_s_own_filter_escaped(org: Any, owner: Any) -> None:
    label_create(actor=owner, organization=org, name="Bénévole")
    client = _client(owner)
    plain = _bulk_bar(client, org)
    assert f'hx-get="/o/{org.slug}/members/count"' in plain
    searched = _bulk_bar(client, org, "?q=%3Cb%3E%22x&role=admin")
    assert f'hx-get="/o/{org.slug}/members/count?q=%3Cb%3E%22x&amp;role=admin"' in searched
    other = _bulk_bar(client, org, "?q=olivia")
    assert f'hx-get="/o/{org.slug}/members/count?q=olivia"' in other
    assert "\x00" not in plain + searched + other
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "Action de masse" in _bulk_bar(client, org)
