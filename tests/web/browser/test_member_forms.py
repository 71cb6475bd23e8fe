"""The member forms of issue 15 point 5, in Chromium, in French: labels on the profile."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_an_admin_adds_and_removes_a_label_on_the_profile(
    browser_page: Any, org: Any, admin: Any, member: Any, owner: Any
) -> None:
    from equipage.groups.actions import label_create
    from equipage.groups.models import MemberLabel

    label_create(actor=owner, organization=org, name="Bénévole")
    org.language = "fr"
    org.save(update_fields=["language"])
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    page.goto(f"{page.base_url}/o/acme/members/{member.pk}/")
    page.get_by_label("Ajouter une étiquette").select_option(label="Bénévole")
    page.locator("#add-label ~ button").click()
    expect(page.get_by_text("Étiquette « Bénévole » ajoutée.")).to_be_visible()
    assert MemberLabel.objects.filter(member=member, label__name="Bénévole").exists()
    page.get_by_role("button", name="Retirer l’étiquette Bénévole").click()
    expect(page.get_by_text("Étiquette « Bénévole » retirée.")).to_be_visible()
    assert not MemberLabel.objects.filter(member=member).exists()
