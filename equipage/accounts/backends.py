"""Authentication of members: login or e-mail + password, within one organization."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest

from equipage.accounts.models import Member, MemberState
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


# The member of a session and their organization, in one prepared read (every console
# request asks it: through select_related it was a millisecond of Python, #20).
_MEMBER_FIELDS = _fields(Member)
_ORGANIZATION_FIELDS = _fields(Organization)
_SIGNED_IN = Prepared(
    lambda pk: Member.objects.filter(pk=pk).values_list(
        *_MEMBER_FIELDS, *(f"organization__{name}" for name in _ORGANIZATION_FIELDS)
    ),
    -7_000_001,
)


def signed_in_member(pk: int) -> Member | None:
    """Return the member ``pk`` with their organization loaded along, or None."""
    from django.db import connection

    row = _SIGNED_IN.first(pk)
    if row is None:
        return None
    count = len(_MEMBER_FIELDS)
    member = Member.from_db(connection.alias, _MEMBER_FIELDS, row[:count])
    organization = (
        Organization.from_db(connection.alias, _ORGANIZATION_FIELDS, row[count:])
        if member.organization_id is not None
        else None
    )
    Member.organization.field.set_cached_value(member, organization)
    return member
