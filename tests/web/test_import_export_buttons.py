"""« Importer des membres » / « Exporter les membres »: shown to who may, and they work."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _links(client: Any) -> dict[str, str]:
    """Return the directory's links by accessible name (aria-label, else text), in French."""
    client.cookies["django_language"] = "fr"
    page = client.get("/o/acme/members").content.decode()
    found: dict[str, str] = {}
    for attrs, text in re.findall(r"<a ([^>]*)>(.*?)</a>", page, flags=re.S):
        href = re.search(r'href="([^"]*)"', attrs)
        label = re.search(r'aria-label="([^"]*)"', attrs)
        name = (label.group(1) if label else re.sub(r"<[^>]+>", "", text)).strip()
        if href:
            found[name] = href.group(1)
    return found


@pytest.mark.parametrize("who", ["owner", "admin", "user_admin"])
def test_admins_find_import_and_export_by_name_and_both_answer(
    request: Any, login_as: Any, who: str
) -> None:
    client = login_as(request.getfixturevalue(who))
    links = _links(client)
    assert links["Importer des membres"] == "/o/acme/members/import"
    assert links["Exporter les membres"] == "/o/acme/members/export"
    assert links["Ajouter un membre"] == "/o/acme/members/new"
    assert client.get(links["Importer des membres"]).status_code == 200
    export = client.get(links["Exporter les membres"])
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    xlsx = client.get(links["Exporter les membres XLSX"])
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]


def test_group_admin_may_add_but_neither_import_nor_export(login_as: Any, group_admin: Any) -> None:
    client = login_as(group_admin)
    links = _links(client)
    assert "Ajouter un membre" in links
    assert "Importer des membres" not in links and "Exporter les membres" not in links
    assert client.get("/o/acme/members/import").status_code == 403
    assert client.get("/o/acme/members/export").status_code == 403


def test_admin_of_another_organization_cannot_export_this_one(
    login_as: Any, other_admin: Any
) -> None:
    response = login_as(other_admin).get("/o/acme/members/export")
    assert response.status_code == 404
    assert not response.get("Content-Disposition")
