"""The owner's « Sièges » page (#18.2): used / paid seats, the change and its history.

Only the owner holds billing (SPEC §2): the attacks are an admin opening the page or
posting its form, another tenant's owner, and lowering below the seats in use.
"""

from __future__ import annotations

from typing import Any

import pytest

from equipage.audit.models import AuditEvent
from equipage.organizations.models import Organization

pytestmark = pytest.mark.django_db


def test_owner_sees_used_and_paid_seats_and_the_history(
    login_as: Any, owner: Any, member: Any
) -> None:
    client = login_as(owner)
    r = client.post("/o/acme/seats/", {"seats": "40"})
    assert r.status_code == 302 and r["Location"] == "/o/acme/seats/"
    assert Organization.objects.get(slug="acme").seats == 40
    page = client.get("/o/acme/seats/").content.decode()
    assert "Seats used: 2 / 40" in page
    assert "Paid seats saved: 40." in page
    history = page.split("History of the paid seats")[1]
    # Newest first: the change to 40 by the owner, then the creation (unlimited).
    assert history.index("owner@acme.test") < history.index("test-operator")
    assert "(creation)" in history
    assert "<td>40</td>" in history and "<td>unlimited</td>" in history
    event = AuditEvent.objects.filter(event_type="org.updated").latest("id")
    assert (event.before, event.after, event.actor_id) == (
        {"seats": None},
        {"seats": 40},
        owner.pk,
    )


def test_owner_sets_unlimited_seats(login_as: Any, owner: Any) -> None:
    client = login_as(owner)
    client.post("/o/acme/seats/", {"seats": "10"})
    r = client.post("/o/acme/seats/", {"unlimited": "on"})
    assert r.status_code == 302
    assert Organization.objects.get(slug="acme").seats is None
    assert "Seats used: 1 (unlimited)" in client.get("/o/acme/seats/").content.decode()


def test_lowering_below_the_seats_in_use_is_refused_with_the_numbers(
    login_as: Any, owner: Any, admin: Any, member: Any
) -> None:
    r = login_as(owner).post("/o/acme/seats/", {"seats": "2"})
    assert r.status_code == 400
    assert (
        "Seats cannot be set to 2: seats in use: 3 (active accounts: 3, pending invitations: 0)."
        in r.content.decode()
    )
    assert Organization.objects.get(slug="acme").seats is None


def test_a_number_or_unlimited_is_asked_for(login_as: Any, owner: Any) -> None:
    r = login_as(owner).post("/o/acme/seats/", {"seats": ""})
    assert r.status_code == 400
    assert "Give a number of seats, or choose unlimited seats." in r.content.decode()


@pytest.mark.parametrize("who", ["admin", "user_admin", "member"])
def test_only_the_owner_may_open_or_post_the_seats_page(
    login_as: Any, who: str, request: pytest.FixtureRequest
) -> None:
    client = login_as(request.getfixturevalue(who))
    assert client.get("/o/acme/seats/").status_code == 403
    assert client.post("/o/acme/seats/", {"seats": "999"}).status_code == 403
    assert Organization.objects.get(slug="acme").seats is None


def test_another_tenants_owner_cannot_change_our_seats(
    login_as: Any, org: Any, other_owner: Any
) -> None:
    client = login_as(other_owner)
    r = client.post("/o/acme/seats/", {"seats": "999"})
    # A session of globex is no session in acme: sent to acme's login page.
    assert r.status_code == 302 and r["Location"].startswith("/o/acme/login")
    assert Organization.objects.get(pk=org.pk).seats is None


def test_the_seats_header_and_settings_link_to_the_page_for_the_owner_only(
    login_as: Any, owner: Any, admin: Any
) -> None:
    assert "/o/acme/seats/" in login_as(owner).get("/o/acme/members/seats").content.decode()
    assert "/o/acme/seats/" in login_as(owner).get("/o/acme/settings/").content.decode()
    assert "/o/acme/seats/" not in login_as(admin).get("/o/acme/members/seats").content.decode()
    assert "/o/acme/seats/" not in login_as(admin).get("/o/acme/settings/").content.decode()
