"""The member rules, in one place: who may be deactivated, reactivated or deleted, which
roles an actor may grant or take away, what the owner keeps, how far a group admin reaches.

Pure predicates over plain values — ids, states, role sets, group ids — with no database
and no permission lookup: the caller passes what it read (the owner's id, the actor's own
id, the roles the actor may grant, whether ``members_manageable_by`` lets them act on the
member, their group reach). Each refusal is a ``Refusal``: its wording here, its kind
(``forbidden``, ``invariant`` or ``noop``, as ``BulkResult.skip`` sorts them).

Who asks: the member actions (``accounts.actions.members``, its bulk triage) and through
them SCIM, the API and the CLI; the roster import's plan (``imports.plan``, which stores
its own problem codes: ``imports.problems.RULE_CODES`` maps each refusal to one); the
directory's buttons (``directory.bulk``: a button applies when no rule refuses).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext, gettext_noop

from equipage.accounts.models import MemberState, Role
from equipage.permissions.policy import GroupReach, group_reach_refusal


class Refusal(StrEnum):
    """Why a rule refuses a change to a member."""

    OWNER_NOT_DEACTIVATED = "owner_not_deactivated"
    SELF_NOT_DEACTIVATED = "self_not_deactivated"
    DEACTIVATE_FORBIDDEN = "deactivate_forbidden"
    ALREADY_DEACTIVATED = "already_deactivated"
    REACTIVATE_FORBIDDEN = "reactivate_forbidden"
    NOT_DEACTIVATED = "not_deactivated"
    OWNER_NOT_DELETED = "owner_not_deleted"
    SELF_NOT_DELETED = "self_not_deleted"
    DELETE_FORBIDDEN = "delete_forbidden"
    OWNER_DETAILS = "owner_details"
    ROLE_ABOVE = "role_above"
    OUTSIDE_GROUPS = "outside_groups"
    OWNERSHIP_BY_TRANSFER = "ownership_by_transfer"
    OWNER_KEEPS_OWNERSHIP = "owner_keeps_ownership"
    ROLE_NOT_GRANTABLE = "role_not_grantable"
    OWN_ROLES = "own_roles"
    GROUP_NEEDED = "group_needed"
    GROUPS_NOT_ADMINISTERED = "groups_not_administered"
    RESTORE_FORBIDDEN = "restore_forbidden"
    NOT_IN_BIN = "not_in_bin"
    OWNER_NO_DELETION_DATE = "owner_no_deletion_date"


# Each refusal's words (the actions' wording; ``role_not_grantable`` takes ``role``).
MESSAGES: dict[Refusal, str] = {
    Refusal.OWNER_NOT_DEACTIVATED: gettext_noop("The owner cannot be deactivated."),
    Refusal.SELF_NOT_DEACTIVATED: gettext_noop("You cannot deactivate yourself."),
    Refusal.DEACTIVATE_FORBIDDEN: gettext_noop(
        "You do not have permission to deactivate this member."
    ),
    Refusal.ALREADY_DEACTIVATED: gettext_noop("Already deactivated."),
    Refusal.REACTIVATE_FORBIDDEN: gettext_noop(
        "You do not have permission to reactivate this member."
    ),
    Refusal.NOT_DEACTIVATED: gettext_noop("Not deactivated."),
    Refusal.OWNER_NOT_DELETED: gettext_noop("The owner cannot be deleted."),
    Refusal.SELF_NOT_DELETED: gettext_noop("You cannot delete yourself."),
    Refusal.DELETE_FORBIDDEN: gettext_noop("You do not have permission to delete this member."),
    Refusal.OWNER_DETAILS: gettext_noop("Only the owner can change the owner's details."),
    Refusal.ROLE_ABOVE: gettext_noop("You cannot change a member whose role is above yours."),
    Refusal.OUTSIDE_GROUPS: gettext_noop("This member is outside the groups you administer."),
    Refusal.OWNERSHIP_BY_TRANSFER: gettext_noop("Ownership is only given by a transfer."),
    Refusal.OWNER_KEEPS_OWNERSHIP: gettext_noop(
        "The owner cannot be demoted; transfer ownership first."
    ),
    Refusal.ROLE_NOT_GRANTABLE: gettext_noop("You cannot grant the role %(role)s."),
    Refusal.OWN_ROLES: gettext_noop("You cannot remove your own roles; ask another admin."),
    Refusal.GROUP_NEEDED: gettext_noop("As a group admin, choose at least one of your groups."),
    Refusal.GROUPS_NOT_ADMINISTERED: gettext_noop(
        "You can only add members to the groups you administer."
    ),
    Refusal.RESTORE_FORBIDDEN: gettext_noop("You do not have permission to restore this member."),
    Refusal.NOT_IN_BIN: gettext_noop("Not in the bin."),
    Refusal.OWNER_NO_DELETION_DATE: gettext_noop(
        "The owner cannot have an automatic deletion date; transfer ownership first."
    ),
}

_FORBIDDEN = frozenset(
    {
        Refusal.DEACTIVATE_FORBIDDEN,
        Refusal.REACTIVATE_FORBIDDEN,
        Refusal.DELETE_FORBIDDEN,
        Refusal.ROLE_ABOVE,
        Refusal.OUTSIDE_GROUPS,
        Refusal.OWNERSHIP_BY_TRANSFER,
        Refusal.ROLE_NOT_GRANTABLE,
        Refusal.GROUP_NEEDED,
        Refusal.GROUPS_NOT_ADMINISTERED,
        Refusal.RESTORE_FORBIDDEN,
    }
)
_NOOP = frozenset({Refusal.ALREADY_DEACTIVATED, Refusal.NOT_DEACTIVATED, Refusal.NOT_IN_BIN})


def message(refusal: Refusal, **params: Any) -> str:
    """Word ``refusal`` in the active language."""
    text = gettext(MESSAGES[refusal])
    return text % params if params else text


def kind(refusal: Refusal) -> str:
    """Return the refusal's kind: "forbidden" (permission), "noop" (nothing to do) or
    "invariant" (the owner's or the actor's own protection)."""
    if refusal in _FORBIDDEN:
        return "forbidden"
    return "noop" if refusal in _NOOP else "invariant"


def is_deactivated(state: str) -> bool:
    """Tell whether a member in ``state`` is deactivated: what deactivating leaves, the only
    state reactivating takes (SCIM's ``active`` flag reads it too)."""
    return state == MemberState.DEACTIVATED


def deactivation_refusal(
    pk: int, state: str, *, owner_id: int | None, self_id: int | None, allowed: bool = True
) -> Refusal | None:
    """Say why member ``pk`` (in ``state``) cannot be deactivated, or None.

    The owner is never deactivated (ownership is transferred first), nor the
    actor themselves (they would lock themselves out mid-action). ``allowed``
    is the permission module's answer for this member.
    """
    if pk == owner_id:
        return Refusal.OWNER_NOT_DEACTIVATED
    if pk == self_id:
        return Refusal.SELF_NOT_DEACTIVATED
    if not allowed:
        return Refusal.DEACTIVATE_FORBIDDEN
    if is_deactivated(state):
        return Refusal.ALREADY_DEACTIVATED
    return None


def reactivation_refusal(state: str, *, allowed: bool = True) -> Refusal | None:
    """Say why a member in ``state`` cannot be reactivated, or None (only deactivated ones)."""
    if not allowed:
        return Refusal.REACTIVATE_FORBIDDEN
    if not is_deactivated(state):
        return Refusal.NOT_DEACTIVATED
    return None


def deletion_refusal(
    pk: int, *, owner_id: int | None, self_id: int | None, allowed: bool = True
) -> Refusal | None:
    """Say why member ``pk`` cannot be deleted, or None: never the owner, never oneself."""
    if pk == owner_id:
        return Refusal.OWNER_NOT_DELETED
    if pk == self_id:
        return Refusal.SELF_NOT_DELETED
    if not allowed:
        return Refusal.DELETE_FORBIDDEN
    return None


def in_bin(state: str) -> bool:
    """Tell whether a member in ``state`` is in the bin (deleted, not yet erased)."""
    return state == MemberState.BINNED


def restore_refusal(state: str, *, allowed: bool = True) -> Refusal | None:
    """Say why a member in ``state`` cannot be restored from the bin, or None.

    ``allowed``: the actor could delete them were they not in the bin (the
    permission module's reach: a user admin restores no admin), and is not them.
    """
    if not allowed:
        return Refusal.RESTORE_FORBIDDEN
    if not in_bin(state):
        return Refusal.NOT_IN_BIN
    return None


def state_after_bin(binned_from: str | None) -> MemberState:
    """Return the state a member restored from the bin goes back to: the one they were
    deleted from (an account deleted before the bin existed had none: deactivated)."""
    if binned_from in MemberState.values and binned_from != MemberState.BINNED:
        return MemberState(binned_from)
    return MemberState.DEACTIVATED


def deletion_date_refusal(is_owner: bool, date: Any) -> Refusal | None:
    """Refuse an automatic deletion date on the owner: it could never apply (the owner is
    never deleted), and would read as if it would."""
    return Refusal.OWNER_NO_DELETION_DATE if is_owner and date is not None else None


def protected(pk: int, *, owner_id: int | None, self_id: int | None) -> bool:
    """Tell whether member ``pk`` is the owner or the actor: neither is deactivated,
    deleted or given roles by a bulk action."""
    return pk in (owner_id, self_id)


def protected_ids(*, owner_id: int | None, self_id: int | None) -> list[int]:
    """Return the ids ``protected`` answers yes for (the queryset twin's exclusion)."""
    return [i for i in (owner_id, self_id) if i]


def update_refusal(
    pk: int, *, owner_id: int | None, visible: bool = True, allowed: bool = True
) -> Refusal | None:
    """Say why the details of member ``pk`` cannot be changed, or None.

    ``visible``: the actor may see them at all (a group admin sees their
    groups); ``allowed``: the permission module lets them update this member
    (nobody changes a member whose role is above theirs, only the owner the owner).
    """
    if not visible:
        return Refusal.OUTSIDE_GROUPS
    if not allowed:
        return Refusal.OWNER_DETAILS if pk == owner_id else Refusal.ROLE_ABOVE
    return None


def ownership_refusal(before: Collection[str], after: Collection[str]) -> Refusal | None:
    """Say why roles ``before`` cannot become ``after`` for the owner's role, or None.

    Ownership moves only by a transfer: the owner cannot lose it, nobody else gain it.
    """
    had, has = Role.OWNER in before, Role.OWNER in after
    if had and not has:
        return Refusal.OWNER_KEEPS_OWNERSHIP
    if has and not had:
        return Refusal.OWNERSHIP_BY_TRANSFER
    return None


def ungrantable_roles(changed: Iterable[str], grantable: Collection[str]) -> list[str]:
    """Return the roles of ``changed`` (granted or taken away) the actor may not grant.

    In ``changed``'s order, once each. ``grantable`` is
    ``permissions.grantable_roles``: none above the actor's own rank, never
    the owner's (which ``ownership_refusal`` answers).
    """
    return [r for r in dict.fromkeys(changed) if r not in grantable and r != Role.OWNER]


def own_roles_refusal(is_self: bool, removed: Collection[str]) -> Refusal | None:
    """Refuse an actor taking roles away from themselves (another admin must)."""
    return Refusal.OWN_ROLES if is_self and removed else None


def groups_refusal(
    group_ids: Collection[int], reach: GroupReach, *, need_one: bool = True
) -> Refusal | None:
    """Say why the actor cannot put a member in (or take them out of) ``group_ids``, or None.

    ``reach`` is the groups a group admin administers (None: any group);
    ``need_one``: a new member must land in one of them. The rule is the
    permission module's ``group_reach_refusal``, which ``authorize_groups`` asks too.
    """
    found = group_reach_refusal(group_ids, reach, need_one=need_one)
    if found == "needed":
        return Refusal.GROUP_NEEDED
    if found == "outside":
        return Refusal.GROUPS_NOT_ADMINISTERED
    return None
