"""The console under its strict Content-Security-Policy in Chromium: nothing blocked, all works.

Every page an admin uses is loaded with a listener for ``securitypolicyviolation``
installed before any page script, and the console's errors are kept: one inline
script, inline handler, inline style or eval left anywhere shows up here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import make_member
from tests.web.browser.conftest import log_in

pytestmark = pytest.mark.browser

RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched_page(browser_page: Any) -> Iterator[tuple[Any, list[str]]]:
    """Yield the page and the list of CSP violations and script errors it reported."""
    problems: list[str] = []
    page = browser_page
    page.add_init_script(RECORDER)
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    yield page, problems


def _collect(page: Any, problems: list[str], where: str) -> None:
    page.wait_for_load_state("networkidle")
    for violation in page.evaluate("window.__cspViolations || []"):
        problems.append(f"{where}: {violation}")


@pytest.fixture
def french_org(org: Any, operator: Any) -> Any:
    from equipage.organizations.actions import organization_update

    return organization_update(actor=operator, organization=org, language="fr")


def test_every_console_page_of_an_admin_runs_without_a_single_csp_violation(
    watched_page: tuple[Any, list[str]],
    french_org: Any,
    owner: Any,
    admin: Any,
    member: Any,
    groups: dict[str, Any],
) -> None:
    from equipage.groups.actions import label_create

    label_create(actor=owner, organization=french_org, name="Bénévole", color="#d9480f")
    page, problems = watched_page
    page.goto(f"{page.base_url}/o/acme/login")
    _collect(page, problems, "login")
    log_in(page, "acme", admin.email, "member-pass-123")
    pages = [
        "/o/acme/members",
        f"/o/acme/members/{member.pk}/",
        "/o/acme/me/",
        "/o/acme/members/new",
        "/o/acme/groups/",
        f"/o/acme/groups/{groups['ventes'].pk}/",
        "/o/acme/labels/",
        "/o/acme/fields/",
        "/o/acme/settings/",
        "/o/acme/members/import/",
        "/o/acme/invitations/",
        "/o/acme/invitations/new",
        "/o/acme/tokens/",
        "/o/acme/webhooks/",
    ]
    for path in pages:
        response = page.goto(f"{page.base_url}{path}")
        assert response is not None and response.status == 200, path
        assert "script-src 'self';" in response.headers["content-security-policy"]
        _collect(page, problems, path)
    assert problems == []


def test_the_directory_scripts_still_work_under_the_policy(
    watched_page: tuple[Any, list[str]], french_org: Any, owner: Any, admin: Any, member: Any
) -> None:
    make_member(french_org, owner, "Bruno", "Durand", email="bruno@acme.test")
    page, problems = watched_page
    log_in(page, "acme", admin.email, "member-pass-123")
    # htmx (from 'self', without eval) filled in the seats and the count.
    expect(page.get_by_text(re.compile("Sièges utilisés : 4"))).to_be_visible()
    # The search filter.
    page.get_by_label("Rechercher").fill("bruno")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page.get_by_role("link", name="Bruno Durand")).to_be_visible()
    expect(page.get_by_role("link", name="Mia Member")).to_have_count(0)
    page.goto(f"{page.base_url}/o/acme/members")
    # The bulk panel opens, "select all on this page" checks every box and counts them.
    panel = page.locator("#bulk-panel")
    expect(panel).to_be_hidden()
    page.get_by_role("button", name="Action de masse").click()
    expect(panel).to_be_visible()
    page.get_by_label("Tout sélectionner sur cette page").check()
    expect(page.get_by_text("4 membres sélectionnés")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Bruno Durand")).to_be_checked()
    # The language switcher submits itself on change (was an inline onchange=).
    page.get_by_label("Langue").select_option("en")
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    _collect(page, problems, "directory")
    assert problems == []


def test_an_injected_inline_script_is_blocked_by_the_browser(
    watched_page: tuple[Any, list[str]], french_org: Any, admin: Any
) -> None:
    """The attack the policy exists for: markup that slipped through still cannot run."""
    page, _problems = watched_page
    log_in(page, "acme", admin.email, "member-pass-123")
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.__pwned = true";
          document.body.appendChild(s);
          const img = document.createElement("img");
          img.setAttribute("onerror", "window.__pwned = true");
          img.src = "data:,x";
          document.body.appendChild(img);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned === undefined")
    violations = page.evaluate("window.__cspViolations")
    assert any(v.startswith("script-src") for v in violations), violations


def test_confirmations_and_polling_work_under_the_policy(
    watched_page: tuple[Any, list[str]], french_org: Any, admin: Any
) -> None:
    from equipage.imports import jobs
    from equipage.permissions import Actor
    from equipage.webhooks.actions import webhook_create
    from equipage.webhooks.models import WebhookEndpoint

    hook = webhook_create(
        actor=admin, organization=french_org, url="https://h.example.com", events=["member.created"]
    )
    job = jobs.job_create(
        actor=Actor.for_member(admin),
        organization=french_org,
        data=b"email;first_name;last_name\nzoe@acme.test;Zoe;Zed\n",
        filename="roster.csv",
        mode="sync",
    )
    page, problems = watched_page
    log_in(page, "acme", admin.email, "member-pass-123")
    # The webhook's delete form asks first (was an inline onsubmit=): dismissed, nothing goes.
    page.goto(f"{page.base_url}/o/acme/webhooks/{hook.pk}/")
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Supprimer le webhook").click()
    page.wait_for_timeout(300)
    assert len(asked) == 1 and WebhookEndpoint.objects.filter(pk=hook.pk).exists()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Supprimer le webhook").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
    assert not WebhookEndpoint.objects.filter(pk=hook.pk).exists()
    _collect(page, problems, "webhooks")
    # The import job page polls its progress with htmx (no worker runs: it keeps polling).
    polls: list[str] = []
    # Each poll hands back its first look at the progress (``?at=…&done=…``: the time left).
    page.on("request", lambda r: polls.append(r.url) if "/progress" in r.url else None)
    page.goto(f"{page.base_url}/o/acme/members/import/{job.pk}/")
    page.wait_for_timeout(2500)
    assert len(polls) >= 2, polls
    problems.extend(f"import job: {v}" for v in page.evaluate("window.__cspViolations"))
    assert problems == []
