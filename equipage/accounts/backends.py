"""Authentication of members: login or e-mail + password, within one organization."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.hashers import check_password, make_password
from django.db.models import OuterRef, StringAgg, Subquery, Value
from django.http import HttpRequest

from equipage.accounts.models import Member, MemberRole, MemberState
from equipage.accounts.selectors import member_by_identifier
from equipage.core import clock
from equipage.core.prepared import Prepared
from equipage.organizations.models import (
    SHARED_PASSWORD_VALIDITY_DAYS,
    FirstPasswordPolicy,
    Organization,
)


def shared_password_usable(member: Member) -> bool:
    """Tell whether the organization's temporary password may open this account now.

    Only for the first login, only within 14 days of the account's creation,
    and only while the organization uses the shared policy (seed 000).
    """
    org = member.organization
    return bool(
        member.uses_temp_password
        and org is not None
        and org.first_password_policy == FirstPasswordPolicy.SHARED
        and org.temp_password_hash
        and member.last_login is None
        and clock.now() - member.created_at <= dt.timedelta(days=SHARED_PASSWORD_VALIDITY_DAYS)
    )


class MemberBackend(BaseBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        organization: Organization | None = None,
        **kwargs: Any,
    ) -> Member | None:
        if organization is None or not username or password is None:
            return None
        member = member_by_identifier(organization, username)
        if member is None or member.state != MemberState.ACTIVE:
            make_password(password)  # same work whether or not the account exists
            return None
        if member.has_usable_password():
            return member if member.check_password(password) else None
        if shared_password_usable(member):
            return member if check_password(password, organization.temp_password_hash) else None
        make_password(password)
        return None

    def get_user(self, user_id: Any) -> Member | None:
        try:
            member = signed_in_member(int(user_id))
        except (TypeError, ValueError):
            return None
        if member is None or not (member.is_active or member.is_superuser):
            return None
        return member


def _fields(model: Any) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _signed_in_query(pk: int) -> Any:
    roles = (
        MemberRole.objects.filter(member_id=OuterRef("pk"))
        .values("member_id")
        .annotate(held=StringAgg("role", delimiter=Value(",")))
        .values("held")
    )
    return (
        Member.objects.filter(pk=pk)
        .annotate(roles_held=Subquery(roles))
        .values_list(
            *_MEMBER_FIELDS,
            *(f"organization__{name}" for name in _ORGANIZATION_FIELDS),
            "roles_held",
        )
    )


# The member of a session, their organization and their roles, in one prepared read (every
# console request asks them: through the ORM, three statements and 2 ms of Python, #20).
_MEMBER_FIELDS = _fields(Member)
_ORGANIZATION_FIELDS = _fields(Organization)
_SIGNED_IN = Prepared(_signed_in_query, -7_000_001)
# Where the roles read along wait on the member object for the request's actor.
_ROLES_READ = "_roles_read_along"


def signed_in_member(pk: int) -> Member | None:
    """Return the member ``pk`` with their organization loaded along (and their roles, for
    ``roles_read_along``), or None."""
    from django.db import connection

    row = _SIGNED_IN.first(pk)
    if row is None:
        return None
    count, more = len(_MEMBER_FIELDS), len(_ORGANIZATION_FIELDS)
    member = Member.from_db(connection.alias, _MEMBER_FIELDS, row[:count])
    organization = (
        Organization.from_db(connection.alias, _ORGANIZATION_FIELDS, row[count : count + more])
        if member.organization_id is not None
        else None
    )
    Member.organization.field.set_cached_value(member, organization)
    held = row[count + more]
    setattr(member, _ROLES_READ, frozenset(held.split(",")) if held else frozenset())
    return member


def roles_read_along(member: Any) -> frozenset[str] | None:
    """Return the roles read with this signed-in member, once (None: read them afresh).

    Only the request's first actor takes them; an actor made later in the request, after
    an action may have changed the roles, reads them from the database.
    """
    return member.__dict__.pop(_ROLES_READ, None)  # type: ignore[no-any-return]
