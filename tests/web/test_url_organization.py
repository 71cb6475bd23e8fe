"""The organization of a /o/<slug>/ page is read once a request, and is the URL's.

The attack: reusing the signed-in member's organization must never let a page
of one organization serve another's (a member of globex on acme's pages), nor
an unknown slug answer anything but 404.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def _organization_reads(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as seen:
        status = client.get(url).status_code
    table = '"organizations_organization"'
    return status, sum(1 for q in seen.captured_queries if f"FROM {table}" in q["sql"])


def test_a_members_own_organization_comes_with_the_member(org: Any, owner: Any) -> None:
    client = Client()
    client.force_login(owner)
    assert _organization_reads(client, f"/o/{org.slug}/members") == (200, 0)


def test_the_login_page_reads_its_organization_once(org: Any) -> None:
    assert _organization_reads(Client(), f"/o/{org.slug}/login") == (200, 1)


def test_another_organizations_member_is_sent_to_this_ones_login(
    org: Any, other_owner: Any
) -> None:
    client = Client()
    client.force_login(other_owner)
    response = client.get(f"/o/{org.slug}/members")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/o/{org.slug}/login?")


def test_an_unknown_organization_is_not_found_signed_in_or_not(owner: Any) -> None:
    assert Client().get("/o/nowhere/login").status_code == 404
    client = Client()
    client.force_login(owner)
    assert client.get("/o/nowhere/members").status_code == 404
