"""Every role × action × tenant: who may do what, proven through the actions themselves.

The expected table is written from SPEC §2, not derived from the code's role map,
so a change to the map that breaks the product's promise fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from equipage.accounts import actions as acc
from equipage.audit.models import AuditEvent
from equipage.core.errors import NotFound, PermissionDenied
from equipage.groups import actions as grp
from equipage.organizations.actions import organization_delete, organization_update
from tests.conftest import make_member

ACTORS = ["owner", "admin", "user_admin", "group_admin", "member", "other_admin"]

Y, N = True, False
# action: (owner, admin, user_admin, group_admin, member, other tenant's admin)
EXPECTED: dict[str, tuple[bool, ...]] = {
    "create_member": (Y, Y, Y, N, N, N),
    "create_member_in_reach_group": (Y, Y, Y, Y, N, N),
    "create_member_outside_reach_group": (Y, Y, Y, N, N, N),
    "update_member_in_reach": (Y, Y, Y, Y, N, N),
    "update_member_outside_reach": (Y, Y, Y, N, N, N),
    "update_admin": (Y, Y, N, N, N, N),
    "deactivate_member_in_reach": (Y, Y, Y, Y, N, N),
    "deactivate_member_outside_reach": (Y, Y, Y, N, N, N),
    "deactivate_admin": (Y, Y, N, N, N, N),
    "reactivate_member_in_reach": (Y, Y, Y, Y, N, N),
    "delete_member": (Y, Y, Y, N, N, N),
    "grant_user_admin": (Y, Y, Y, N, N, N),
    "grant_admin": (Y, Y, N, N, N, N),
    "set_password": (Y, Y, Y, N, N, N),
    "create_group": (Y, Y, N, N, N, N),
    "add_to_group_in_reach": (Y, Y, Y, Y, N, N),
    "add_to_group_outside_reach": (Y, Y, Y, N, N, N),
    "create_label": (Y, Y, N, N, N, N),
    "attach_label": (Y, Y, Y, N, N, N),
    "create_custom_field": (Y, Y, N, N, N, N),
    "change_settings": (Y, Y, N, N, N, N),
    "change_seats": (Y, N, N, N, N, N),
    "start_ownership_transfer": (Y, N, N, N, N, N),
    "delete_organization": (Y, N, N, N, N, N),
}


def _deactivated(owner: Any, m: Any) -> Any:
    acc.member_deactivate(actor=owner, member=m)
    m.refresh_from_db()
    return m


def _label(org: Any, owner: Any) -> Any:
    return grp.label_create(actor=owner, organization=org, name="Matrix")


def scenario(name: str, w: dict[str, Any]) -> Callable[[Any], Any]:
    """Return ``do(actor)`` for one action; set-up runs as the owner, outside the check."""
    org, owner, g = w["org"], w["owner"], w["groups"]
    target, outside, admin2 = w["member"], w["outsider"], w["second_admin"]
    if name == "create_member":
        return lambda a: acc.member_create(
            actor=a, organization=org, first_name="New", last_name="Person"
        )
    if name == "create_member_in_reach_group":
        return lambda a: acc.member_create(
            actor=a, organization=org, first_name="N", last_name="P", group_ids=[g["nord"].pk]
        )
    if name == "create_member_outside_reach_group":
        return lambda a: acc.member_create(
            actor=a, organization=org, first_name="N", last_name="P", group_ids=[g["atelier"].pk]
        )
    if name == "update_member_in_reach":
        return lambda a: acc.member_update(actor=a, member=target, job_title="Chef")
    if name == "update_member_outside_reach":
        return lambda a: acc.member_update(actor=a, member=outside, job_title="Chef")
    if name == "update_admin":
        return lambda a: acc.member_update(actor=a, member=admin2, job_title="Chef")
    if name == "deactivate_member_in_reach":
        return lambda a: acc.member_deactivate(actor=a, member=target)
    if name == "deactivate_member_outside_reach":
        return lambda a: acc.member_deactivate(actor=a, member=outside)
    if name == "deactivate_admin":
        return lambda a: acc.member_deactivate(actor=a, member=admin2)
    if name == "reactivate_member_in_reach":
        return lambda a: acc.member_reactivate(actor=a, member=_deactivated(owner, target))
    if name == "delete_member":
        return lambda a: acc.member_delete(actor=a, member=target)
    if name == "grant_user_admin":
        return lambda a: acc.member_set_roles(
            actor=a, member=target, roles=["member", "user_admin"]
        )
    if name == "grant_admin":
        return lambda a: acc.member_set_roles(actor=a, member=target, roles=["admin"])
    if name == "set_password":
        return lambda a: acc.member_set_password(
            actor=a, member=target, password="Another-pass-2026"
        )
    if name == "create_group":
        return lambda a: grp.group_create(actor=a, organization=org, name="Nouveau groupe")
    if name == "add_to_group_in_reach":
        return lambda a: grp.group_add_member(actor=a, group=g["nord"], member=outside)
    if name == "add_to_group_outside_reach":
        return lambda a: grp.group_add_member(actor=a, group=g["atelier"], member=target)
    if name == "create_label":
        return lambda a: grp.label_create(actor=a, organization=org, name="Nouveau")
    if name == "attach_label":
        return lambda a: _attach(a, _label(org, owner), target)
    if name == "create_custom_field":
        return lambda a: acc.custom_field_create(actor=a, organization=org, name="Service")
    if name == "change_settings":
        return lambda a: organization_update(actor=a, organization=org, invitation_lifetime_days=10)
    if name == "change_seats":
        return lambda a: organization_update(actor=a, organization=org, seats=500)
    if name == "start_ownership_transfer":
        return lambda a: acc.ownership_transfer_start(actor=a, to_member=admin2)
    if name == "delete_organization":
        return lambda a: organization_delete(actor=a, organization=org, confirm_slug=org.slug)
    raise AssertionError(name)


def _attach(actor: Any, label: Any, member: Any) -> None:
    result = grp.labels_attach(actor=actor, label=label, members=[member])
    if result.skipped:
        raise PermissionDenied(result.skipped[0][1])


@pytest.fixture
def world(
    org: Any,
    owner: Any,
    admin: Any,
    user_admin: Any,
    group_admin: Any,
    member: Any,
    outsider: Any,
    groups: Any,
    other_admin: Any,
) -> dict[str, Any]:
    second_admin = make_member(org, owner, "Second", "Admin", ["admin"])
    return {
        "org": org,
        "owner": owner,
        "admin": admin,
        "user_admin": user_admin,
        "group_admin": group_admin,
        "member": member,
        "outsider": outsider,
        "groups": groups,
        "other_admin": other_admin,
        "second_admin": second_admin,
    }


class Rollback(Exception):
    pass


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("who", ACTORS)
def test_permission_matrix(world: dict[str, Any], who: str, action: str) -> None:
    allowed = EXPECTED[action][ACTORS.index(who)]
    actor = world[who]
    try:
        with transaction.atomic():
            do = scenario(action, world)
            before = AuditEvent.objects.count()
            outcome: Exception | None = None
            try:
                with transaction.atomic():
                    do(actor)
            except (PermissionDenied, NotFound) as exc:
                outcome = exc
            written = AuditEvent.objects.count() - before
            raise Rollback((outcome, written))
    except Rollback as rb:
        outcome, written = rb.args[0]
    if allowed:
        assert outcome is None, f"{who} should be allowed to {action}: {outcome}"
        assert written >= 1, f"{action} by {who} wrote no audit event"
    else:
        assert outcome is not None, f"{who} must not be allowed to {action}"
        assert written == 0
        if who == "other_admin":
            assert isinstance(outcome, NotFound), "another tenant's objects must look absent"
