"""The API tokens page in Chromium, in French: create, copy once, revoke."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.browser.conftest import browser_page, log_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def test_admin_creates_copies_and_revokes_a_token_in_french(
    browser_page: Any,  # noqa: F811
    org: Any,
    operator: Any,
    admin: Any,
) -> None:
    from playwright.sync_api import expect

    from equipage.organizations.actions import organization_update
    from equipage.tokens.actions import hash_token
    from equipage.tokens.models import ApiToken

    organization_update(actor=operator, organization=org, language="fr")
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, "acme", admin.email, "member-pass-123")
    page.get_by_role("link", name="Jetons d'API").click()
    page.get_by_label("Nom").fill("Okta")
    page.get_by_label("Provisionnement SCIM").check()
    page.get_by_role("button", name="Créer le jeton").click()
    expect(page.get_by_text("il n'est affiché qu'une seule fois", exact=False)).to_be_visible()
    raw = page.get_by_label("Jeton", exact=True).input_value()
    assert ApiToken.objects.get().token_hash == hash_token(raw)
    page.get_by_role("button", name="Copier le jeton").click()
    expect(page.get_by_role("button", name="Copié")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == raw
    page.get_by_role("link", name="Retour aux jetons d'API").click()
    assert raw not in page.content()
    page.get_by_role("link", name="Révoquer le jeton Okta").click()
    page.get_by_role("button", name="Révoquer").click()
    expect(page.get_by_text("Jeton « Okta » révoqué.")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Créé le")).to_be_visible()
    assert ApiToken.objects.get().revoked_at is not None
