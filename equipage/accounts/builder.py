"""How a new member's row is made, whichever door they come in by.

Direct creation (``member_create``), an invitation, the owner of a new
organization and the roster import all make members; the rules of a new row —
its state stamps, its search text, its first-password flags, its roles — live
here once. ``member_row`` is the one function that decides them; it returns a
plain tuple (``MEMBER_COLUMNS``) so that the import can write 100,000 rows
with one prepared statement without building a model object per row, and
``build_member`` turns the same tuple into an unsaved ``Member`` for the single
paths, which then ``save_new_member``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import Member, MemberRole, MemberState
from equipage.core.errors import Conflict
from equipage.core.text import search_key as plain_search_key
from equipage.organizations.models import Organization

# The columns ``member_row`` fills, in its order; every other column takes the model's default.
MEMBER_COLUMNS = (
    "organization_id",
    "login",
    "email",
    "first_name",
    "last_name",
    "state",
    "password",
    "must_change_password",
    "uses_temp_password",
    "search_text",
    "created_at",
    "updated_at",
    "activated_at",
    "deactivated_at",
)

_ACTIVE, _DEACTIVATED = str(MemberState.ACTIVE), str(MemberState.DEACTIVATED)


def member_row(
    organization_id: int,
    login: str,
    email: str,
    first_name: str,
    last_name: str,
    state: str,
    password_hash: str,
    usable: bool,
    shared: bool,
    now: Any,
    search_key: Callable[..., str] = plain_search_key,
) -> tuple[Any, ...]:
    """Return a new member's row in ``MEMBER_COLUMNS`` order.

    ``password_hash`` is stored as given (an unusable one when ``usable`` is
    false). The first password must be changed at first login when one was
    given, or when an active account gets the organization's ``shared``
    temporary password instead. ``now`` stamps creation and the state's own date;
    ``search_key`` may be a memoising twin of ``core.text.search_key`` (the
    import's), never a different rule. Positional and allocation-light: the
    import calls it once per row.
    """
    temp = shared and not usable and state == _ACTIVE
    return (
        organization_id, login, email, first_name, last_name, state, password_hash,
        usable or temp, temp,
        search_key(first_name, last_name, login, email), now, now,
        now if state == _ACTIVE else None, now if state == _DEACTIVATED else None,
    )  # fmt: skip


def build_member(
    *,
    organization: Organization,
    login: str,
    email: str,
    first_name: str,
    last_name: str,
    state: MemberState,
    now: dt.datetime,
    password: str | None = None,
    shared: bool = False,
    language: str = "",
    phone: str = "",
    job_title: str = "",
    external_id: str = "",
) -> Member:
    """Return the unsaved ``Member`` of ``member_row``'s rules; ``password`` is the raw one.

    Without a password the account gets an unusable one (a set-password link,
    an invitation or the ``shared`` temporary password opens it).
    """
    row = member_row(
        organization.pk,
        login,
        email,
        first_name,
        last_name,
        str(state),
        make_password(password),
        bool(password),
        shared,
        now,
    )
    member = Member(
        **dict(zip(MEMBER_COLUMNS, row, strict=True)),
        language=language,
        phone=phone,
        job_title=job_title,
        external_id=external_id,
    )
    member.organization, member.state = organization, state
    if password:
        # As set_password leaves it: the password validators hear of it on save.
        member._password = password  # type: ignore[attr-defined]
    return member


def holds_seat(state: MemberState) -> bool:
    """Tell whether a member in ``state`` counts against the organization's seats."""
    return state in (MemberState.ACTIVE, MemberState.INVITED)


def role_rows(organization_id: int, member: Member, roles: Iterable[str]) -> list[MemberRole]:
    """Return the unsaved role rows of a new member."""
    return [MemberRole(organization_id=organization_id, member=member, role=r) for r in roles]


def save_new_member(member: Member, roles: Iterable[str]) -> Member:
    """Save a ``build_member`` result with its roles, or raise ``Conflict``.

    The insert runs in a savepoint: a login or e-mail taken by a concurrent
    writer becomes a ``Conflict`` and leaves the caller's transaction usable.
    A creation form's custom values and deletion date are not the builder's:
    ``accounts.actions.customfields.clean_creation_extras`` checks them and
    ``apply_creation_extras`` writes them after the action's permission check on
    the new member (its groups included), audited as the profile audits them.
    """
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise Conflict(_("A member with this login or e-mail already exists.")) from None
    org_id = member.organization_id
    assert org_id is not None
    MemberRole.objects.bulk_create(role_rows(org_id, member, roles))
    return member
