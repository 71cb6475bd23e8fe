"""403, 404 and 500 pages wear the console, speak the viewer's language and offer a way back."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_the_consoles_404_with_a_way_home(login_as: Any, admin: Any) -> None:
    response = login_as(admin).get("/o/acme/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in body and 'href="/o/acme/"' in body
    assert "equipage.css" in body and 'class="topbar"' in body


def test_the_404_speaks_french_to_a_french_viewer(login_as: Any, admin: Any) -> None:
    client = login_as(admin)
    client.cookies["django_language"] = "fr"
    body = client.get("/o/acme/members/999999/").content.decode()
    assert "Cette page n’existe pas" in body and "Erreur 404" in body


def test_a_forbidden_page_is_the_consoles_403(login_as: Any, member: Any) -> None:
    response = login_as(member).get("/o/acme/settings/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "You may not open this page" in body and 'href="/o/acme/"' in body


def test_a_stranger_is_pointed_to_the_login_not_the_home(org: Any) -> None:
    body = Client().get("/o/acme/nothing-here").content.decode()
    assert 'href="/o/acme/login"' in body


def test_the_500_page_renders_without_the_database(org: Any) -> None:
    from django.db import connection

    from equipage.web.views.errors import server_error

    request = RequestFactory().get("/o/acme/members")
    with connection.execute_wrapper(_no_queries):
        response = server_error(request)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_the_handlers_are_the_consoles() -> None:
    from equipage import urls

    assert urls.handler404.endswith("errors.page_not_found")
    assert urls.handler403.endswith("errors.permission_denied")
    assert urls.handler500.endswith("errors.server_error")


def test_api_and_scim_keep_their_own_errors(org: Any) -> None:
    api = Client().get("/api/v1/no-such-endpoint")
    assert "This page does not exist" not in api.content.decode()
    scim = Client().get("/scim/v2/Users")
    assert scim["Content-Type"].startswith("application/scim+json") or scim.status_code == 401


def _no_queries(*args: Any) -> None:
    raise AssertionError("the 500 page must not query the database")
