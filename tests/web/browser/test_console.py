"""The coordinator's journeys in a real browser, in French (seeds 000, 001, 003)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import make_member
from tests.web.browser.conftest import log_in

pytestmark = pytest.mark.browser

DEACTIVATE = "Désactiver les membres sélectionnés"


@pytest.fixture
def french_org(org: Any, operator: Any) -> Any:
    from equipage.organizations.actions import organization_update

    return organization_update(actor=operator, organization=org, language="fr")


def test_search_without_accents_select_and_deactivate(
    browser_page: Any, french_org: Any, owner: Any, admin: Any
) -> None:
    from equipage.accounts.models import Member, MemberState

    elodie = make_member(french_org, owner, "Élodie", "Martin", email="elodie.martin@acme.test")
    make_member(french_org, owner, "Bruno", "Durand", email="bruno@acme.test")
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    expect(page.get_by_role("heading", name="Membres")).to_be_visible()
    expect(page.get_by_text(re.compile("Sièges utilisés : 4"))).to_be_visible()  # loaded by htmx
    page.get_by_label("Rechercher").fill("elodie")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page.get_by_role("link", name="Élodie Martin")).to_be_visible()
    expect(page.get_by_role("link", name="Bruno Durand")).to_have_count(0)
    page.get_by_role("button", name="Action de masse").click()
    page.get_by_role("checkbox", name="Élodie Martin").check()
    page.get_by_role("button", name=DEACTIVATE).click()
    expect(page.get_by_text("Cela s’appliquera à 1 membre")).to_be_visible()
    page.get_by_role("button", name=f"{DEACTIVATE} : 1 membre").click()
    # The result is on the directory itself, in plain words.
    expect(page.locator("#result-text")).to_contain_text("1 membre désactivé")
    row = page.get_by_role("row", name=re.compile("Élodie Martin"))
    expect(row.get_by_text("Désactivé")).to_be_visible()
    expect(
        row.locator(".c-guide").get_by_text("Réactiver")
    ).to_be_visible()  # the Guide says what to do next
    assert Member.objects.get(pk=elodie.pk).state == MemberState.DEACTIVATED


def test_action_buttons_are_disabled_until_a_selection_they_apply_to(
    browser_page: Any, french_org: Any, owner: Any, admin: Any, member: Any
) -> None:
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    page.get_by_role("button", name="Action de masse").click()
    deactivate = page.get_by_role("button", name=DEACTIVATE)
    reactivate = page.get_by_role("button", name="Réactiver")
    expect(deactivate).to_be_disabled()
    expect(reactivate).to_be_disabled()
    # The owner cannot be deactivated: selecting only them leaves the button disabled.
    page.get_by_role("checkbox", name="Olivia Owner").check()
    expect(deactivate).to_be_disabled()
    page.get_by_role("checkbox", name="Mia Member").check()
    expect(deactivate).to_be_enabled()
    expect(reactivate).to_be_disabled()  # nobody selected is deactivated
    expect(page.get_by_text("2 membres sélectionnés")).to_be_visible()
    page.keyboard.press("Tab")  # keyboard focus moves on without a trap


def test_deactivate_a_whole_group_with_select_all_matching(
    browser_page: Any, french_org: Any, owner: Any, admin: Any, groups: dict[str, Any]
) -> None:
    from equipage.accounts.models import Member, MemberState

    nord = [
        make_member(french_org, owner, f"Nord{i}", "Vendeur", groups=[groups["nord"]])
        for i in range(3)
    ]
    other = make_member(french_org, owner, "Paul", "Atelier", groups=[groups["atelier"]])
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    page.get_by_text("Filtres", exact=True).click()  # the filters are folded in a drawer
    page.get_by_label("Groupe", exact=True).select_option(label="— Ventes Nord")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("button", name="Action de masse").click()
    page.get_by_role("checkbox", name=re.compile("Sélectionner les 3 membres")).check()
    page.get_by_role("button", name=DEACTIVATE).click()
    page.get_by_role("button", name=f"{DEACTIVATE} : 3 membres").click()
    expect(page.locator("#result-text")).to_contain_text("3 membres désactivés")
    states = set(Member.objects.filter(pk__in=[m.pk for m in nord]).values_list("state", flat=True))
    assert states == {MemberState.DEACTIVATED}
    assert Member.objects.get(pk=other.pk).state == MemberState.ACTIVE


def test_guide_column_after_an_invitation(
    browser_page: Any, french_org: Any, owner: Any, admin: Any
) -> None:
    from equipage.accounts.actions import member_create
    from equipage.accounts.models import MemberState

    member_create(
        actor=owner,
        organization=french_org,
        first_name="Inès",
        last_name="Nouvelle",
        email="ines@acme.test",
        state=MemberState.CREATED,
    )
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    row = page.get_by_role("row", name=re.compile("Inès Nouvelle"))
    expect(row.locator(".c-guide").get_by_text("Inviter")).to_be_visible()
    page.get_by_role("button", name="Action de masse").click()
    page.get_by_role("checkbox", name="Inès Nouvelle").check()
    page.get_by_role("button", name="Inviter", exact=True).click()
    expect(page.locator("#result-text")).to_contain_text("1 membre invité")
    row = page.get_by_role("row", name=re.compile("Inès Nouvelle"))
    expect(row.get_by_text("Attendre")).to_be_visible()
    # Seed 003: the blue envelope; a click sends a new invitation.
    envelope = row.get_by_role("button", name=re.compile("Renvoyer l’invitation à Inès"))
    expect(envelope).to_be_visible()
    envelope.click()
    expect(page.locator("#result-text")).to_contain_text("1 invitation renvoyée")


def test_language_switch(browser_page: Any, french_org: Any, admin: Any) -> None:
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    expect(page.get_by_role("button", name="Action de masse")).to_be_visible()
    page.get_by_label("Langue").select_option("en")
    expect(page.get_by_role("button", name="Bulk action")).to_be_visible()
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", name="Membres")).to_be_visible()
