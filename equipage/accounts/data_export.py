"""A member's own data as JSON (GDPR articles 15 and 20): who may have it, and its audit.

The content comes from the registry ``core.personal_data``: each app
contributes its section. The member downloads theirs from their profile; an
administrator (or a group admin) produces the same for a member they may see,
if that member's role is not above theirs — a user admin does not read an
admin's trail. Every download is audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import Member
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.personal_data import stream_personal_data
from equipage.permissions import Actor, access_member_by_id, as_actor, refuse
from equipage.permissions.policy import member_rank


def access_member_data(actor: Actor | Member, member_id: Any) -> Member:
    """Return the member whose data ``actor`` may download, or raise (NotFound / denied).

    Another tenant's id, or a member the actor may not see, is not found.
    """
    actor = as_actor(actor)
    member = access_member_by_id(actor, member_id)
    if not may_download_data(actor, member):
        raise refuse(
            actor,
            _("You cannot download the data of a member whose role is above yours."),
            capability="member.data_export",
        )
    return member


def may_download_data(actor: Actor, member: Member) -> bool:
    """Tell whether ``actor``, who may see ``member``, may also download their data."""
    is_self = actor.member is not None and actor.member.pk == member.pk
    return is_self or actor.is_privileged or member_rank(member) <= actor.rank


def member_data_export(*, actor: Actor | Member, member: Member) -> Iterator[str]:
    """Audit the download, then return the JSON document of ``member``'s data, in pieces.

    ``member`` comes from ``access_member_data``: this only records who took it.
    """
    actor = as_actor(actor)
    is_self = actor.member is not None and actor.member.pk == member.pk
    with transaction.atomic():
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_DATA_EXPORTED,
            target=member,
            after={"by": "self" if is_self else "administrator"},
        )
    header = {"generated_at": clock.now(), "organization": member.organization.name}  # type: ignore[union-attr]
    return stream_personal_data(member, header)
