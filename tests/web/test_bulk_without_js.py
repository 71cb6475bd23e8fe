"""« Action de masse » without JavaScript: every button is usable, the server says what applied.

These tests post the form exactly as a browser with JavaScript turned off would:
the checked boxes (``ids``), the hidden ``filter`` and the pressed button's ``action``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _bulk_buttons(body: str) -> list[str]:
    return re.findall(r'<button type="submit" name="action" value="[a-z_]+"[^>]*>', body)


def test_directory_renders_the_bulk_buttons_enabled_and_shown_without_js(
    login_as: Any, admin: Any, member: Any
) -> None:
    body = login_as(admin).get("/o/acme/members").content.decode()
    buttons = _bulk_buttons(body)
    assert any('value="deactivate"' in b for b in buttons)
    assert all("disabled" not in b for b in buttons), buttons
    # A stylesheet inside <noscript>, not a <style> block: the CSP allows no inline style.
    assert '<noscript><link rel="stylesheet" href="/static/equipage/noscript.css"></noscript>' in (
        body
    )
    from django.contrib.staticfiles import finders

    with open(finders.find("equipage/noscript.css"), encoding="utf-8") as css:
        noscript = css.read()
    assert "#bulk-panel[hidden] { display:flex; }" in noscript
    assert "table.members .sel { display:table-cell; }" in noscript
    assert f'name="ids" value="{member.pk}"' in body


def test_action_that_applies_to_none_of_the_selection_changes_nothing(
    login_as: Any, admin: Any, member: Any, outsider: Any, audit_events: Any
) -> None:
    from equipage.accounts.models import MemberState

    before = audit_events()
    response = login_as(admin).post(
        "/o/acme/members/bulk",
        {"action": "reactivate", "ids": [member.pk, outsider.pk], "filter": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "applies to none of the 2 selected members: nothing was changed." in (
        response.content.decode()
    )
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE
    assert audit_events() == before


def test_confirmation_names_how_many_the_pressed_action_applies_to(
    login_as: Any, admin: Any, owner: Any, member: Any
) -> None:
    from equipage.accounts.models import MemberState

    client = login_as(admin)
    response = client.post(
        "/o/acme/members/bulk", {"action": "deactivate", "ids": [member.pk, owner.pk]}
    )
    body = response.content.decode()
    assert "This will apply to 1 member:" in body
    assert "Mia Member" in body
    assert "1 selected member will be skipped" in body
    assert "Olivia Owner" in body
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE
    # The confirmation form carries the whole selection: the server reports the skip.
    response = client.post(
        "/o/acme/members/bulk",
        {"action": "deactivate", "ids": [member.pk, owner.pk], "confirmed": "1"},
        follow=True,
    )
    body = response.content.decode()
    assert "1 member deactivated" in body
    assert "The owner cannot be deactivated." in body
    member.refresh_from_db()
    assert member.state == MemberState.DEACTIVATED


def test_non_destructive_action_runs_at_once_and_reports_skips(
    login_as: Any, admin: Any, member: Any, outsider: Any, org: Any
) -> None:
    from equipage.accounts.actions import members_deactivate
    from equipage.accounts.models import MemberState
    from equipage.permissions import Actor

    members_deactivate(actor=Actor.for_member(admin), organization=org, members=[member.pk])
    response = login_as(admin).post(
        "/o/acme/members/bulk",
        {"action": "reactivate", "ids": [member.pk, outsider.pk]},
        follow=True,
    )
    body = response.content.decode()
    assert "1 member reactivated" in body
    assert "1 skipped: " in body
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE


def test_member_without_directory_right_cannot_post_the_form(
    login_as: Any, member: Any, outsider: Any
) -> None:
    response = login_as(member).post(
        "/o/acme/members/bulk", {"action": "deactivate", "ids": [outsider.pk]}
    )
    assert response.status_code == 403


def test_other_organization_cannot_act_on_these_members(
    login_as: Any, other_admin: Any, member: Any
) -> None:
    from equipage.accounts.models import MemberState

    response = login_as(other_admin).post(
        "/o/globex/members/bulk",
        {"action": "deactivate", "ids": [member.pk], "confirmed": "1"},
    )
    assert response.status_code == 400
    assert "Select at least one member." in response.content.decode()
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE


def test_french_answer_when_nothing_applies(login_as: Any, admin: Any, member: Any) -> None:
    client = login_as(admin)
    client.cookies["django_language"] = "fr"
    response = client.post(
        "/o/acme/members/bulk", {"action": "reactivate", "ids": [member.pk]}, follow=True
    )
    assert "« Réactiver » ne s’applique pas au membre sélectionné" in response.content.decode()
