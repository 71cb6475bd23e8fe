"""SCIM writes: each one calls the same member and group actions as the console.

The only rows these functions write themselves are ``ScimExtra`` rows (the
attributes Equipage keeps only to give them back), in the same transaction as
the actions they call, so a failed operation leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from equipage.accounts.actions import (
    member_create,
    member_set_password,
    member_update,
    members_deactivate,
    members_reactivate,
)
from equipage.accounts.models import Member, MemberState
from equipage.accounts.rules import is_deactivated
from equipage.audit.record import notifications_batched
from equipage.groups.actions import (
    group_add_member,
    group_create,
    group_remove_member,
    group_update,
)
from equipage.groups.models import Group, GroupMembership
from equipage.organizations.models import Organization
from equipage.permissions import Actor
from equipage.scim.models import ScimExtra

log = logging.getLogger("equipage.scim")


@dataclass
class UserFields:
    """The mapped attributes of a SCIM User, as Equipage fields."""

    login: str
    first_name: str
    last_name: str
    email: str = ""
    job_title: str = ""
    external_id: str = ""
    active: bool = True
    password: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class GroupFields:
    """The mapped attributes of a SCIM Group."""

    name: str
    member_ids: list[int]
    extra: dict[str, Any] = field(default_factory=dict)


def _store_extra(organization_id: int, extra: dict[str, Any], **owner: Any) -> None:
    if extra:
        ScimExtra.objects.update_or_create(
            organization_id=organization_id, **owner, defaults={"data": extra}
        )
    else:
        ScimExtra.objects.filter(organization_id=organization_id, **owner).delete()


def _sync_password(actor: Actor, member: Member, password: str | None) -> None:
    """Set the password the IdP sent, only if the organization accepts IdP passwords (SPEC §9).

    Off by default: Okta sends a placeholder password on every create, which
    must never open the account. Ignored, the member keeps what the
    organization's first-password policy gave them, as any account created
    without a password.
    """
    if not password:
        return
    organization = member.organization
    if organization is None or not organization.scim_accept_passwords:
        log.info(
            "SCIM password for member %s ignored: the organization does not accept IdP passwords",
            member.pk,
        )
        return
    member_set_password(actor=actor, member=member, password=password, from_identity_provider=True)


def scim_user_create(*, actor: Actor, organization: Organization, fields: UserFields) -> Member:
    """Create a member from a SCIM User, deactivated at once when ``active`` is false."""
    with transaction.atomic():
        member = member_create(
            actor=actor,
            organization=organization,
            first_name=fields.first_name,
            last_name=fields.last_name,
            email=fields.email,
            login=fields.login,
            job_title=fields.job_title,
            external_id=fields.external_id,
            state=MemberState.ACTIVE if fields.active else MemberState.DEACTIVATED,
        )
        _sync_password(actor, member, fields.password)
        _store_extra(organization.pk, fields.extra, member=member)
    return member


def scim_user_update(*, actor: Actor, member: Member, fields: UserFields) -> Member:
    """Apply a whole new SCIM state to a member, all or nothing."""
    with transaction.atomic():
        changes = {
            name: value
            for name, value in (
                ("login", fields.login),
                ("first_name", fields.first_name),
                ("last_name", fields.last_name),
                ("email", fields.email),
                ("job_title", fields.job_title),
                ("external_id", fields.external_id),
            )
            if getattr(member, name) != value
        }
        if changes:
            # The IdP owns the addresses and renames them in bulk (a domain move): no
            # notice to each old address; the audit log keeps the change (issue #18.3).
            member = member_update(actor=actor, member=member, notify_old_address=False, **changes)
        _sync_password(actor, member, fields.password)
        org = member.organization
        # Only what changes the state goes to the actions (``accounts.rules`` decides the rest).
        if fields.active and is_deactivated(member.state):
            members_reactivate(actor=actor, organization=org, members=[member]).raise_for_single()  # type: ignore[arg-type]
        elif not fields.active and not is_deactivated(member.state):
            members_deactivate(actor=actor, organization=org, members=[member]).raise_for_single()  # type: ignore[arg-type]
        _store_extra(member.organization_id, fields.extra, member=member)  # type: ignore[arg-type]
    member.refresh_from_db()
    return member


def _set_members(actor: Actor, group: Group, wanted: Sequence[int]) -> None:
    current = set(GroupMembership.objects.filter(group=group).values_list("member_id", flat=True))
    targets = set(wanted)
    # Inside the caller's transaction (all or nothing): the webhooks of a group's new
    # member list go out in batched deliveries, not one per member.
    with notifications_batched():
        for member in Member.objects.filter(
            organization_id=group.organization_id, pk__in=targets - current
        ):
            group_add_member(actor=actor, group=group, member=member)
        for member in Member.objects.filter(
            organization_id=group.organization_id, pk__in=current - targets
        ):
            group_remove_member(actor=actor, group=group, member=member)


def scim_group_create(*, actor: Actor, organization: Organization, fields: GroupFields) -> Group:
    """Create a top-level group with its members."""
    with transaction.atomic():
        group = group_create(actor=actor, organization=organization, name=fields.name)
        _set_members(actor, group, fields.member_ids)
        _store_extra(organization.pk, fields.extra, group=group)
    return group


def scim_group_update(*, actor: Actor, group: Group, fields: GroupFields) -> Group:
    """Rename a group and make its direct members exactly ``member_ids``, all or nothing."""
    with transaction.atomic():
        if fields.name != group.name:
            group = group_update(actor=actor, group=group, name=fields.name)
        _set_members(actor, group, fields.member_ids)
        _store_extra(group.organization_id, fields.extra, group=group)
    return group
