"""Bulk results on the directory itself (issue 15.2): htmx gets fragments, no JS a redirect."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_a_confirmed_action_answers_htmx_with_the_result_and_the_list_out_of_band(
    login_as: Any, admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.accounts.models import Member, MemberState

    response = login_as(admin).post(
        "/o/acme/members/bulk",
        {"action": "deactivate", "ids": [member.pk, outsider.pk], "confirmed": "1"},
        **HX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="result-text"' in page and "2 members deactivated" in page
    assert 'id="members-table" hx-swap-oob="true"' in page
    # The list shows the new state, and « Undo » posts back in place.
    assert page.count('data-state="deactivated"') == 2
    assert 'hx-post="/o/acme/members/bulk/undo"' in page
    assert "<html" not in page  # a fragment, not a page
    assert Member.objects.get(pk=member.pk).state == MemberState.DEACTIVATED


def test_without_javascript_the_same_action_redirects_to_the_directory_showing_the_result(
    login_as: Any, admin: Any, member: Any
) -> None:
    client = login_as(admin)
    response = client.post(
        "/o/acme/members/bulk",
        {"action": "deactivate", "ids": [member.pk], "confirmed": "1", "filter": "q=mia"},
    )
    assert response.status_code == 302 and response["Location"] == "/o/acme/members?q=mia"
    page = client.get(response["Location"]).content.decode()
    assert "1 member deactivated" in page
    assert page.index('id="bulk-outcome"') < page.index("1 member deactivated")


def test_a_destructive_action_asks_in_place_with_the_names_and_an_htmx_form(
    login_as: Any, admin: Any, member: Any
) -> None:
    from equipage.accounts.models import Member, MemberState

    response = login_as(admin).post(
        "/o/acme/members/bulk", {"action": "deactivate", "ids": [member.pk]}, **HX
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "Mia Member" in page and '<h2 id="confirm-title">' in page
    assert 'hx-post="/o/acme/members/bulk" hx-target="#bulk-outcome"' in page
    assert "data-clear-outcome" in page
    assert Member.objects.get(pk=member.pk).state == MemberState.ACTIVE


def test_undo_in_place_answers_with_the_list_again(login_as: Any, admin: Any, member: Any) -> None:
    import re

    from equipage.accounts.models import Member, MemberState

    client = login_as(admin)
    done = client.post(
        "/o/acme/members/bulk",
        {"action": "deactivate", "ids": [member.pk], "confirmed": "1"},
        **HX,
    ).content.decode()
    match = re.search(r'name="token" value="([^"]+)"', done)
    assert match is not None
    undone = client.post("/o/acme/members/bulk/undo", {"token": match.group(1)}, **HX)
    page = undone.content.decode()
    assert "Undone: 1 member reactivated." in page and 'hx-swap-oob="true"' in page
    assert Member.objects.get(pk=member.pk).state == MemberState.ACTIVE


def test_a_refused_request_answers_htmx_in_the_result_region(login_as: Any, admin: Any) -> None:
    response = login_as(admin).post("/o/acme/members/bulk", {"action": "deactivate"}, **HX)
    page = response.content.decode()
    assert response.status_code == 200 and "result-error" in page
    assert "Select at least one member." in page
    # Without JS it is its own page, with the right status.
    plain = login_as(admin).post("/o/acme/members/bulk", {"action": "deactivate"})
    assert plain.status_code == 400


def test_edit_opens_in_place_for_htmx(login_as: Any, admin: Any, member: Any) -> None:
    response = login_as(admin).post(
        "/o/acme/members/bulk", {"action": "edit", "ids": [member.pk]}, **HX
    )
    page = response.content.decode()
    assert '<h2 id="edit-title">' in page
    assert 'hx-post="/o/acme/members/bulk/edit"' in page
