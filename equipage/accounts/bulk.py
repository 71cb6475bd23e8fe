"""Reads shared by the bulk member actions (accounts and invitations).

A bulk action may carry 50,000 ids: every read here binds them as one
parameter (``core.idlist``), not one placeholder per id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from django.db.models.base import ModelState

from equipage.accounts.models import Member
from equipage.core.idlist import id_list
from equipage.core.ids import MAX_ID
from equipage.permissions import Actor, Cap
from equipage.permissions.policy import members_manageable_by

if TYPE_CHECKING:
    from equipage.core.bulk import BulkResult

# (refuses, reason, kind): ``refuses(member)`` true means skip with ``reason`` of ``kind``
# ("forbidden", "invariant" or "noop", see BulkResult.skip).
Check = tuple[Callable[[Member], bool], str, str]


def unique_ids(members: Iterable[Member | int]) -> list[int]:
    """Return the ids of ``members`` (instances or ids), first occurrence order, no repeats.

    Ids no row can have (below 1, above ``MAX_ID``) are dropped: SQLite would
    refuse to even compare them.
    """
    ids = (m if isinstance(m, int) else m.pk for m in members)
    return list(dict.fromkeys(i for i in ids if 1 <= i <= MAX_ID))


def eligible_ids(actor: Actor, cap: Cap, ids: Sequence[int]) -> set[int]:
    """Return which of ``ids`` the actor may use ``cap`` on (the permission module decides)."""
    if not ids:
        return set()
    qs = members_manageable_by(actor, cap).filter(pk__in=id_list(ids))
    return set(qs.values_list("pk", flat=True))


def load_members(
    organization_id: int, ids: Sequence[int], columns: Sequence[str] | None = None
) -> list[Member]:
    """Load the members of ``ids`` in the organization, only ``columns`` when given.

    With ``columns``, the instances are built straight from the rows, as
    ``only()`` would give them (other fields load on first access) but without
    ``Model.__init__`` per row: 50,000 members in a fifth of the time.
    """
    if not ids:
        return []
    qs = Member.objects.filter(organization_id=organization_id, pk__in=id_list(ids))
    if not columns:
        return list(qs)
    names = [Member._meta.get_field(c).attname for c in columns]  # type: ignore[union-attr]
    db = qs.db
    found: list[Member] = []
    for row in qs.values_list(*names).iterator(chunk_size=5000):
        member = Member.__new__(Member)
        member.__dict__.update(zip(names, row, strict=True))
        member._state = ModelState()
        member._state.adding, member._state.db = False, db
        found.append(member)
    return found


def triage(members: Iterable[Member], checks: Sequence[Check], result: BulkResult) -> list[Member]:
    """Return the members no check refuses; record the first refusal of every other one."""
    todo: list[Member] = []
    for m in members:
        for refuses, reason, kind in checks:
            if refuses(m):
                result.skip(m, reason, kind)
                break
        else:
            todo.append(m)
    return todo
