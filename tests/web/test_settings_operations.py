"""The settings page: each posted operation is run by its own view."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.test import Client

from equipage.web.views.organization import SETTINGS_OPERATIONS

TEMPLATE = Path(__file__).resolve().parents[2] / "equipage/web/templates/web/org/settings.html"


def test_every_form_of_the_settings_page_posts_an_operation_that_has_a_view() -> None:
    posted = set(re.findall(r'name="op" value="([a-z_]+)"', TEMPLATE.read_text()))
    assert posted and posted <= SETTINGS_OPERATIONS.keys()


def test_an_unknown_operation_changes_nothing_and_answers_400(org: Any, admin: Any) -> None:
    c = Client()
    c.force_login(admin)
    before = org.name
    r = c.post("/o/acme/settings/", {"op": "rename_everything", "name": "Pirates"})
    assert r.status_code == 400
    org.refresh_from_db()
    assert org.name == before


def test_session_settings_are_saved_by_their_own_operation_only(org: Any, admin: Any) -> None:
    c = Client()
    c.force_login(admin)
    r = c.post("/o/acme/settings/", {"op": "sessions", "session_idle_minutes": "30", "name": "X"})
    assert r.status_code == 302
    org.refresh_from_db()
    assert org.session_idle_minutes == 30 and org.name != "X"
