"""Issue #15 points 6–8 as a person sees them in Chromium, in French and English, with screenshots.

The 404 page, a confirmation before a deletion, the import preview in the file's words,
the ownership offer on the named admin's home page, and focus visible from the keyboard.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.imports.helpers import csv_bytes
from tests.web.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def _as(page: Any, member: Any, language: str, password: str = "member-pass-123") -> None:
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": page.base_url}])
    log_in(page, "acme", member.email, password)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("language", "title", "back"),
    [
        ("fr", "Cette page n’existe pas", "Revenir à l’accueil d’Acme"),
        ("en", "This page does not exist", "Back to the home page of Acme"),
    ],
)
def test_a_missing_page_wears_the_console_and_leads_back(
    browser_page: Any, org: Any, admin: Any, language: str, title: str, back: str
) -> None:
    page = browser_page
    _as(page, admin, language)
    response = page.goto(f"{page.base_url}/o/acme/nothing-here")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    _shot(page, f"error-404-{language}")
    page.get_by_role("link", name=back).click()
    expect(page).to_have_url(f"{page.base_url}/o/acme/members")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_deleting_a_label_asks_first_naming_it(
    browser_page: Any, org: Any, owner: Any, admin: Any, language: str
) -> None:
    from equipage.groups.actions import label_create
    from equipage.groups.models import Label

    label_create(actor=owner, organization=org, name="Bénévole", color="#d9480f")
    page = browser_page
    _as(page, admin, language)
    page.goto(f"{page.base_url}/o/acme/labels/")
    name = "Supprimer l'étiquette Bénévole" if language == "fr" else "Delete the label Bénévole"
    page.get_by_role("button", name=name).click()
    question = (
        "Supprimer l’étiquette « Bénévole » ?"
        if language == "fr"
        else "Delete the label “Bénévole”?"
    )
    expect(page.get_by_role("heading", name=question)).to_be_visible()
    _shot(page, f"confirm-label-delete-{language}")
    assert Label.objects.filter(name="Bénévole").exists()
    confirm = (
        "Supprimer l’étiquette « Bénévole »" if language == "fr" else "Delete the label “Bénévole”"
    )
    page.get_by_role("button", name=confirm, exact=True).click()
    expect(page.get_by_role("heading", name=question)).to_have_count(0)
    assert not Label.objects.filter(name="Bénévole").exists()


def test_the_french_import_preview_speaks_the_files_words(
    browser_page: Any, org: Any, admin: Any, member: Any, settings: Any, tmp_path: Any
) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "imports"],
        }
    }
    rows = [
        [member.login, "Member-Martin", member.first_name, member.email, "", "Désactivé"],
        ["", "Sans", "Zoé", "pas-une-adresse", "", "Activé"],
    ]
    path = tmp_path / "equipe.csv"
    path.write_bytes(csv_bytes(rows))
    page = browser_page
    _as(page, admin, "fr")
    page.goto(f"{page.base_url}/o/acme/members/import/")
    page.locator("input[type=file]").set_input_files(str(path))
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_role("cell", name="Zoé Sans")).to_be_visible()
    expect(
        page.get_by_text("« pas-une-adresse » n’est pas une adresse e-mail valide.")
    ).to_be_visible()
    _shot(page, "import-errors-fr")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])
    page.reload()
    expect(page.get_by_text("“pas-une-adresse” is not a valid e-mail address.")).to_be_visible()
    _shot(page, "import-errors-en")
    path.write_bytes(csv_bytes(rows[:1]))
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": page.base_url}])
    page.goto(f"{page.base_url}/o/acme/members/import/")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_label("Mode").select_option("upsert")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_text("Nom : Member → Member-Martin")).to_be_visible()
    expect(page.get_by_text("État : Activé → Désactivé")).to_be_visible()
    _shot(page, "import-preview-fr")
    page.get_by_role("button", name="Appliquer l’import").click()
    expect(page.get_by_text("Nom : Member → Member-Martin")).to_be_visible()
    _shot(page, "import-result-fr")


def test_the_named_admin_sees_the_ownership_offer_on_their_home_page(
    browser_page: Any, org: Any, owner: Any, admin: Any
) -> None:
    from equipage.accounts.actions.ownership import ownership_transfer_start

    ownership_transfer_start(actor=owner, to_member=admin)
    page = browser_page
    _as(page, admin, "fr")
    page.goto(f"{page.base_url}/o/acme/")
    expect(
        page.get_by_text("Olivia Owner vous a proposé la propriété de l’organisation")
    ).to_be_visible()
    _shot(page, "ownership-offer-admin-fr")


def test_focus_is_visible_from_the_keyboard(browser_page: Any, org: Any) -> None:
    page = browser_page
    page.goto(f"{page.base_url}/o/acme/login")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and outline[1] != "0px", outline
