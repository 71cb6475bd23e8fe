"""A member sets up two-factor in Chromium (French, strict CSP) and logs in with a code."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import browser_page as browser_page  # the Chromium page
from tests.web.browser.conftest import log_in
from tests.web.browser.test_csp import RECORDER
from tests.web.browser.test_csp import french_org as french_org  # the console in French

pytestmark = pytest.mark.browser


def test_member_sets_up_two_factor_then_logs_in_with_a_recovery_code(
    browser_page: Any, french_org: Any, member: Any
) -> None:
    page = browser_page
    page.add_init_script(RECORDER)
    log_in(page, "acme", member.email, "member-pass-123")
    page.get_by_role("link", name="Configurer la double authentification").click()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("p.muted code").inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer la double authentification").click()
    codes = page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.context.clear_cookies()
    log_in(page, "acme", member.email, "member-pass-123")
    expect(page).to_have_url(f"{page.base_url}/o/acme/login/code")
    page.goto(f"{page.base_url}/o/acme/members")  # anything else leads back to the code
    expect(page).to_have_url(f"{page.base_url}/o/acme/login/code")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("code de secours")).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
