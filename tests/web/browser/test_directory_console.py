"""The directory as a coordinator uses it, in Chromium, in French and in English (issue 15).

One browser for the whole module (a fresh context per test): safe defaults, bulk mode
with an exact confirmation, the result on the directory and « Annuler », the first
member row on the first screen at 1366×800, members as cards on a phone, invitees
named by their e-mail, and the row menu. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from tests.conftest import make_member
from tests.web.browser.conftest import ARGS, ARTIFACTS, CHROMIUM

pytestmark = pytest.mark.browser

WORDS = {
    "fr": {
        "bulk": "Action de masse",
        "deactivate": "Désactiver les membres sélectionnés",
        "selected": "2 membres sélectionnés",
        "done": "2 membres désactivés",
        "undo": "Annuler",
        "undone": "Annulé : 2 membres réactivés.",
        "confirm": "Désactiver les membres sélectionnés : 2 membres",
        "state": "État",
        "resend": "Renvoyer l'invitation",
        "cancel": "Annuler l'invitation",
        "cancel_yes": "Oui, annuler l’invitation",
        "cancelled": "L'invitation à ines@acme.test a été annulée.",
        "open": "Ouvrir le profil",
        "actions_for": "Actions pour ines@acme.test",
        "member": "Membre",
        "edit": "Éditer…",
        "apply": "Appliquer à 2 membres",
        "edited": "2 membres ont désormais le rôle « Administrateur d’utilisateurs »",
    },
    "en": {
        "bulk": "Bulk action",
        "deactivate": "Deactivate selected members",
        "selected": "2 members selected",
        "done": "2 members deactivated",
        "undo": "Undo",
        "undone": "Undone: 2 members reactivated.",
        "confirm": "Deactivate selected members: 2 members",
        "state": "State",
        "resend": "Resend the invitation",
        "cancel": "Cancel the invitation",
        "cancel_yes": "Yes, cancel the invitation",
        "cancelled": "The invitation to ines@acme.test was cancelled.",
        "open": "Open the profile",
        "actions_for": "Actions for ines@acme.test",
        "member": "Member",
        "edit": "Edit…",
        "apply": "Apply to 2 members",
        "edited": "2 members now have the role “User admin",
    },
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Debian Chromium for the module; it fails loudly if it cannot start."""
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_as(chromium: Any, live_server: Any, transactional_db: Any) -> Iterator[Any]:
    """Return ``open_as(member, lang, width, height)``: a logged-in page in that language."""
    contexts: list[Any] = []

    def make(member: Any, lang: str, width: int = 1366, height: int = 800) -> Any:
        client = Client()
        client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
        context = chromium.new_context(
            locale="fr-FR" if lang == "fr" else "en-GB",
            viewport={"width": width, "height": height},
        )
        session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [
                {"name": name, "value": value, "url": live_server.url}
                for name, value in (
                    (django_settings.SESSION_COOKIE_NAME, session),
                    (django_settings.LANGUAGE_COOKIE_NAME, lang),
                )
            ]
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.base_url = live_server.url  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page: Any, name: str, full: bool = False) -> None:
    page.screenshot(path=str(ARTIFACTS / f"directory_{name}.png"), full_page=full)


def _invite(org: Any, admin: Any, *emails: str) -> None:
    from equipage.invitations.actions import invitations_create

    invitations_create(
        actor=admin, organization=org, emails=",".join(emails), roles=["member"], group_ids=[]
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_first_member_row_ends_within_800px_at_1366x800(
    open_as: Any, lang: str, org: Any, owner: Any, admin: Any, settings: Any
) -> None:
    settings.EQUIPAGE_MAIL_CONFIGURED = False  # the owner's banner is on screen too
    for i in range(44):
        make_member(org, owner, f"Prénom{i:02d}", f"Nom{i:02d}", email=f"p{i}@acme.test")
    _invite(org, admin, *(f"invite{i}@acme.test" for i in range(5)))
    page = open_as(owner, lang)
    page.goto(f"{page.base_url}/o/acme/members")
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.members tbody tr")
    assert rows.count() == 50
    box = rows.first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 800, box
    # The result count is on screen, and the navigation is one line.
    expect(page.locator("#result-count")).to_be_visible()
    nav = page.locator(".topbar").bounding_box()
    assert nav is not None and nav["height"] < 60, nav
    shot(page, f"first_screen_1366x800_{lang}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_bulk_mode_confirms_exactly_then_shows_the_result_and_undoes(
    open_as: Any, lang: str, org: Any, owner: Any, admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.accounts.models import Member, MemberState

    w = WORDS[lang]
    for i in range(30):
        make_member(org, owner, f"Zoé{i:02d}", f"Zed{i:02d}", email=f"z{i}@acme.test")
    page = open_as(admin, lang)
    page.goto(f"{page.base_url}/o/acme/members")
    panel = page.locator("#bulk-panel")
    expect(panel).to_be_hidden()
    expect(page.locator('input[name="ids"]').first).to_be_hidden()
    page.get_by_role("button", name=w["bulk"]).click()
    expect(panel).to_be_visible()
    page.locator(f'input[name="ids"][value="{member.pk}"]').check()
    page.locator(f'input[name="ids"][value="{outsider.pk}"]').check()
    expect(page.locator("#bulk-count")).to_have_text(w["selected"])
    # The bar stays on screen while scrolling down the list.
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(200)
    bar = page.locator("#bulk-bar").bounding_box()
    assert bar is not None and 0 <= bar["y"] < 100, bar
    shot(page, f"bulk_bar_scrolled_{lang}")
    page.get_by_role("button", name=w["deactivate"]).click()
    # The confirmation opens on the directory itself (htmx), names both, and its
    # button counts what its text counts.
    names = page.locator("#bulk-outcome .confirm-names")
    expect(names).to_contain_text("Mia Member")
    expect(names).to_contain_text("Otto Outsider")
    shot(page, f"bulk_confirm_{lang}")
    page.get_by_role("button", name=w["confirm"]).click()
    expect(page.locator("#result-text")).to_contain_text(w["done"])
    # In place: no new page, the focus on the result, the list showing the new states.
    assert page.url.endswith("/o/acme/members"), page.url
    expect(page.locator("#bulk-outcome .result")).to_be_focused()
    row = page.locator(f'tr:has(input[name="ids"][value="{member.pk}"])')
    expect(row).to_have_attribute("data-state", "deactivated")
    shot(page, f"bulk_result_{lang}")
    assert Member.objects.get(pk=member.pk).state == MemberState.DEACTIVATED
    page.get_by_role("button", name=w["undo"], exact=True).click()
    expect(page.locator("#result-text")).to_contain_text(w["undone"])
    expect(row).to_have_attribute("data-state", "active")
    assert Member.objects.get(pk=member.pk).state == MemberState.ACTIVE
    assert Member.objects.get(pk=outsider.pk).state == MemberState.ACTIVE


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_role_pickers_default_to_member(
    open_as: Any, lang: str, org: Any, owner: Any, admin: Any
) -> None:
    page = open_as(admin, lang)
    page.goto(f"{page.base_url}/o/acme/members/new")
    expect(page.locator('input[name="roles"][value="member"]')).to_be_checked()
    expect(page.locator('input[name="roles"]:checked')).to_have_count(1)
    page.goto(f"{page.base_url}/o/acme/members")
    page.get_by_role("button", name=WORDS[lang]["bulk"]).click()
    expect(page.locator("#bulk-role")).to_have_value("member")
    shot(page, f"bulk_panel_open_{lang}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_invitee_is_named_and_their_profile_resends_or_cancels(
    open_as: Any, lang: str, org: Any, owner: Any, admin: Any
) -> None:
    w = WORDS[lang]
    _invite(org, admin, "ines@acme.test")
    page = open_as(admin, lang)
    page.goto(f"{page.base_url}/o/acme/members")
    # The row menu (a <details>) holds what applies to this invitee.
    page.get_by_label(w["actions_for"]).click()
    expect(page.get_by_role("button", name=w["resend"])).to_be_visible()
    shot(page, f"row_menu_{lang}")
    page.get_by_role("link", name=w["open"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ines@acme.test")
    expect(page.get_by_role("button", name=w["resend"])).to_be_visible()
    page.get_by_text(w["cancel"], exact=True).click()
    shot(page, f"invitee_profile_cancel_{lang}")
    page.get_by_role("button", name=w["cancel_yes"]).click()
    expect(page.get_by_text(w["cancelled"])).to_be_visible()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_on_a_phone_members_are_cards_with_name_state_and_guide(
    open_as: Any, lang: str, org: Any, owner: Any, admin: Any, member: Any
) -> None:
    page = open_as(admin, lang, width=390, height=844)
    page.goto(f"{page.base_url}/o/acme/members")
    row = page.locator("table.members tbody tr", has_text="Mia Member")
    for cell in ("td.c-name", "td.c-state", "td.c-guide"):
        box = row.locator(cell).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (cell, box)
    expect(row.locator("td.c-state")).to_contain_text(WORDS[lang]["state"])
    expect(row.locator("td.c-login")).to_be_hidden()
    shot(page, f"phone_cards_{lang}", full=True)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_edit_gives_a_role_and_a_label_to_the_whole_selection(
    open_as: Any, lang: str, org: Any, owner: Any, admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.accounts.selectors import roles_of
    from equipage.groups.actions import label_create

    w = WORDS[lang]
    label_create(actor=owner, organization=org, name="Bénévole")
    page = open_as(admin, lang)
    page.goto(f"{page.base_url}/o/acme/members")
    page.get_by_role("button", name=w["bulk"]).click()
    edit = page.get_by_role("button", name=w["edit"])
    expect(edit).to_be_disabled()  # nothing selected yet
    page.locator(f'input[name="ids"][value="{member.pk}"]').check()
    page.locator(f'input[name="ids"][value="{outsider.pk}"]').check()
    edit.click()
    expect(page.locator("#edit-role")).to_have_value("")  # « Inchangé » unless chosen
    page.locator("#edit-role").select_option("user_admin")
    page.locator('input[name="add_label"]').first.check()
    shot(page, f"edit_selection_{lang}")
    page.get_by_role("button", name=w["apply"]).click()
    expect(page.locator("#result-text")).to_contain_text(w["edited"])
    expect(page.locator("#result-text")).to_contain_text("Bénévole")
    assert roles_of(member) == ["user_admin"]
