"""Named fixture users of two tenants, built through the actions layer.

acme: owner, admin, user_admin, group_admin (admin of "Ventes", which has the
subgroup "Ventes Nord"), member (in "Ventes Nord"), outsider (in "Atelier").
globex: other_owner, other_admin, other_member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from equipage.core import clock


@pytest.fixture(autouse=True)
def _fresh_language() -> Iterator[None]:
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _token_use_noted_afresh() -> None:
    """Forget which tokens this process already noted as used this minute: ids come back
    from one test's database to the next, and a test's first use of its token is audited."""
    from equipage.audit import attempts

    attempts._used.clear()


@pytest.fixture
def operator() -> Any:
    from equipage.permissions import Actor, Origin

    return Actor.operator(label="test-operator", origin=Origin(channel="test"))


def _make_org(operator: Any, slug: str, **kw: Any) -> Any:
    from equipage.organizations.actions import organization_create

    created = organization_create(
        actor=operator,
        slug=slug,
        name=slug.capitalize(),
        owner_email=f"owner@{slug}.test",
        owner_first_name="Olivia",
        owner_last_name="Owner",
        **kw,
    )
    created.owner.set_password("owner-pass-123")
    created.owner.save(update_fields=["password"])
    return created.organization


@pytest.fixture
def org(db: Any, operator: Any) -> Any:
    return _make_org(operator, "acme", language="en")


@pytest.fixture
def other_org(db: Any, operator: Any) -> Any:
    return _make_org(operator, "globex", language="en")


@pytest.fixture
def owner(org: Any) -> Any:
    from equipage.accounts.selectors import owner_of

    return owner_of(org)


def make_member(
    org: Any,
    actor: Any,
    first: str,
    last: str,
    roles: list[str] | None = None,
    groups: list[Any] | None = None,
    **kw: Any,
) -> Any:
    from equipage.accounts.actions import member_create

    member = member_create(
        actor=actor,
        organization=org,
        first_name=first,
        last_name=last,
        email=kw.pop("email", f"{first.lower()}.{last.lower()}@{org.slug}.test"),
        roles=roles or ["member"],
        group_ids=[g.pk for g in groups or []],
        password=kw.pop("password", "member-pass-123"),
        **kw,
    )
    member.must_change_password = False
    member.save(update_fields=["must_change_password"])
    return member


@pytest.fixture
def groups(org: Any, owner: Any) -> dict[str, Any]:
    from equipage.groups.actions import group_create

    ventes = group_create(actor=owner, organization=org, name="Ventes")
    nord = group_create(actor=owner, organization=org, name="Ventes Nord", parent=ventes)
    atelier = group_create(actor=owner, organization=org, name="Atelier")
    return {"ventes": ventes, "nord": nord, "atelier": atelier}


@pytest.fixture
def admin(org: Any, owner: Any) -> Any:
    return make_member(org, owner, "Adam", "Admin", ["admin"])


@pytest.fixture
def user_admin(org: Any, owner: Any) -> Any:
    return make_member(org, owner, "Ursula", "Useradmin", ["user_admin"])


@pytest.fixture
def group_admin(org: Any, owner: Any, groups: dict[str, Any]) -> Any:
    from equipage.groups.actions import group_add_member

    ga = make_member(org, owner, "Gaston", "Groupadmin")
    group_add_member(actor=owner, group=groups["ventes"], member=ga, role="group_admin")
    return ga


@pytest.fixture
def member(org: Any, owner: Any, groups: dict[str, Any]) -> Any:
    return make_member(org, owner, "Mia", "Member", groups=[groups["nord"]])


@pytest.fixture
def outsider(org: Any, owner: Any, groups: dict[str, Any]) -> Any:
    return make_member(org, owner, "Otto", "Outsider", groups=[groups["atelier"]])


@pytest.fixture
def other_owner(other_org: Any) -> Any:
    from equipage.accounts.selectors import owner_of

    return owner_of(other_org)


@pytest.fixture
def other_admin(other_org: Any, other_owner: Any) -> Any:
    return make_member(other_org, other_owner, "Gus", "Globexadmin", ["admin"])


@pytest.fixture
def other_member(other_org: Any, other_owner: Any) -> Any:
    return make_member(other_org, other_owner, "Gina", "Globexmember")


class MovableClock:
    def __init__(self) -> None:
        from django.utils import timezone

        self.now = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def frozen_clock() -> Iterator[MovableClock]:
    """Freeze the application clock; ``frozen_clock.advance(days=8)`` moves it."""
    c = MovableClock()
    clock.set_clock(c)
    yield c
    clock.set_clock(None)


@pytest.fixture
def audit_events(org: Any) -> Any:
    """Return a function listing the organization's audit event types, newest first."""
    from equipage.audit.models import AuditEvent

    def events(**filters: Any) -> list[str]:
        return list(
            AuditEvent.objects.filter(organization=org, **filters).values_list(
                "event_type", flat=True
            )
        )

    return events


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Tests marked ``postgres_only`` run in the suite's PostgreSQL half, not its SQLite half.

    They start PostgreSQL servers of their own; running them twice would prove
    nothing more. They are deselected (counted as such), never skipped.
    """
    import os

    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    chosen = [item for item in items if not item.get_closest_marker("postgres_only")]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(
            items=[item for item in items if item.get_closest_marker("postgres_only")]
        )
        items[:] = chosen
