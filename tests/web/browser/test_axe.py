"""No barriers: axe-core finds no serious or critical violation on any console page.

axe-core comes from npm (``.ci/run`` installs it into ``.ci/node_modules``); it is
evaluated in each page by Playwright (through the DevTools protocol: the page's
Content-Security-Policy stays as strict as in production). Every page of each role is
checked in French and in English. Without axe-core the test fails: it never skips.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[3] / ".ci" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(
            f"axe-core is missing ({AXE}): run `npm install --no-save --prefix .ci axe-core`"
            " (.ci/run does it)."
        )
    return AXE.read_text(encoding="utf-8")


def _violations(page: Any, source: str, path: str) -> list[dict[str, Any]]:
    response = page.goto(f"{page.base_url}{path}")
    expected = 404 if "no-such-page" in path else 200
    assert response is not None and response.status == expected, path
    page.wait_for_load_state("networkidle")
    page.evaluate(source)  # defines window.axe (DevTools evaluation: no CSP exemption needed)
    found = page.evaluate(RUN)
    return [{**v, "page": path} for v in found if v["impact"] in BLOCKING]


def _check(page: Any, pages: list[str], name: str) -> list[dict[str, Any]]:
    source = _axe_source()
    found: list[dict[str, Any]] = []
    for path in pages:
        found += _violations(page, source, path)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(found, indent=1, ensure_ascii=False))
    return found


def _set_language(page: Any, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])


@pytest.fixture
def seeded(org: Any, owner: Any, admin: Any, member: Any, groups: dict[str, Any]) -> dict[str, Any]:
    from equipage.groups.actions import label_create
    from equipage.invitations.actions import invitations_create

    label_create(actor=owner, organization=org, name="Bénévole", color="#d9480f")
    invitations_create(actor=admin, organization=org, emails="lea@acme.test")
    return {"groups": groups, "member": member}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_login_page_has_no_serious_barrier(browser_page: Any, org: Any, language: str) -> None:
    page = browser_page
    _set_language(page, language)
    assert _check(page, ["/o/acme/login"], f"login-{language}") == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_admin_page_has_no_serious_barrier(
    browser_page: Any, seeded: dict[str, Any], admin: Any, language: str
) -> None:
    page = browser_page
    _set_language(page, "fr")  # log_in speaks French
    log_in(page, "acme", admin.email, "member-pass-123")
    _set_language(page, language)
    group = seeded["groups"]["ventes"]
    pages = [
        "/o/acme/groups/",
        f"/o/acme/groups/{group.pk}/",
        "/o/acme/labels/",
        "/o/acme/fields/",
        "/o/acme/settings/",
        "/o/acme/invitations/",
        "/o/acme/invitations/new",
        "/o/acme/tokens/",
        "/o/acme/webhooks/",
        "/o/acme/members/import/",
        "/o/acme/me/",
        "/o/acme/audit/",
        "/o/acme/members/bin/",
        "/o/acme/settings/lifecycle/",
        "/o/acme/settings/sso/",
        "/o/acme/me/two-factor/",
        "/o/acme/no-such-page",  # the console's 404
    ]
    assert _check(page, pages, f"admin-{language}") == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_owners_settings_have_no_serious_barrier(
    browser_page: Any, seeded: dict[str, Any], owner: Any, language: str
) -> None:
    page = browser_page
    _set_language(page, "fr")  # log_in speaks French
    log_in(page, "acme", owner.email, "owner-pass-123")
    _set_language(page, language)
    pages = ["/o/acme/me/", "/o/acme/settings/", "/o/acme/seats/"]
    assert _check(page, pages, f"owner-{language}") == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_members_pages_have_no_serious_barrier(
    browser_page: Any, seeded: dict[str, Any], member: Any, language: str
) -> None:
    page = browser_page
    _set_language(page, "fr")  # log_in speaks French
    log_in(page, "acme", member.email, "member-pass-123")
    _set_language(page, language)
    assert _check(page, ["/o/acme/", "/o/acme/me/"], f"member-{language}") == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_directory_a_profile_and_the_new_member_form_have_no_serious_barrier(
    browser_page: Any, seeded: dict[str, Any], admin: Any, language: str
) -> None:
    page = browser_page
    _set_language(page, "fr")  # log_in speaks French
    log_in(page, "acme", admin.email, "member-pass-123")
    _set_language(page, language)
    member = seeded["member"]
    pages = ["/o/acme/members", f"/o/acme/members/{member.pk}/", "/o/acme/members/new"]
    assert _check(page, pages, f"directory-{language}") == []
