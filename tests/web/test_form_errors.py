"""Field errors appear only after a submit: a page opened fresh shows no « required »."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

FORM_PAGES = [
    "/o/acme/labels/",
    "/o/acme/fields/",
    "/o/acme/groups/",
    "/o/acme/settings/",
    "/o/acme/invitations/new",
    "/o/acme/members/new",
    "/o/acme/me/",
]


@pytest.mark.parametrize("url", FORM_PAGES)
def test_a_page_opened_fresh_shows_no_field_error(
    login_as: Any, owner: Any, groups: Any, url: str
) -> None:
    for language, required in (("en", "This field is required"), ("fr", "obligatoire")):
        client = login_as(owner)
        client.cookies["django_language"] = language
        body = client.get(url).content.decode()
        assert required not in body and 'class="error"' not in body, (url, language)


def test_a_submitted_empty_label_shows_its_error(login_as: Any, admin: Any) -> None:
    body = login_as(admin).post("/o/acme/labels/", {"op": "create", "name": ""}).content
    assert b"This field is required" in body
