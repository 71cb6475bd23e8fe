"""``can`` / ``authorize`` and their queryset twins: the only place roles are interpreted."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.db import connections
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.utils.translation import gettext as _

from equipage.accounts.models import (
    ROLE_RANK,
    CustomField,
    Member,
    MemberRole,
    MemberState,
    OwnershipTransfer,
    Role,
)
from equipage.audit.security import note_denied
from equipage.core.errors import NotFound, PermissionDenied
from equipage.core.ids import parse_id
from equipage.permissions.actor import Actor, as_actor
from equipage.permissions.capabilities import (
    GROUP_ADMIN_CAPS,
    GROUP_ADMIN_WHOLE_REACH,
    ROLE_CAPS,
    Cap,
)

if TYPE_CHECKING:
    from equipage.groups.models import Group, Label

# Capabilities that change a member: nobody may use them on someone who outranks them.
_MUTATING = frozenset(
    {
        Cap.MEMBER_UPDATE,
        Cap.MEMBER_DEACTIVATE,
        Cap.MEMBER_REACTIVATE,
        Cap.MEMBER_DELETE,
        Cap.MEMBER_SET_ROLES,
        Cap.MEMBER_SET_PASSWORD,
        Cap.MEMBER_PASSWORD_LINK,
        Cap.GROUP_MEMBERS,
        Cap.LABEL_ASSIGN,
    }
)


def member_rank(member: Member) -> int:
    """Return the highest role rank a member holds (0 for plain members)."""
    roles = MemberRole.objects.filter(member=member).values_list("role", flat=True)
    return max((ROLE_RANK[r] for r in roles), default=0)


def _target_org_id(actor: Actor, target: Any) -> int | None:
    if target is None:
        return actor.organization_id
    from equipage.organizations.models import Organization

    if isinstance(target, Organization):
        return target.pk
    return target.organization_id


def _org_caps(actor: Actor) -> frozenset[Cap]:
    caps: set[Cap] = set()
    for role in actor.roles:
        caps |= ROLE_CAPS[role]
    return frozenset(caps)


def holds_org_wide(actor: Actor | Member, cap: Cap) -> bool:
    """Tell whether ``actor`` holds ``cap`` over the whole organization (a role grants it, or
    they are privileged), rather than only over the groups they administer.

    What the import's scope and the self-edit rule need, without reading the
    role → capability table themselves.
    """
    actor = as_actor(actor)
    return actor.is_privileged or cap in _org_caps(actor)


def authorize(actor: Actor | Member, cap: Cap, target: Any = None) -> None:
    """Raise ``PermissionDenied`` (or ``NotFound`` across tenants) unless allowed.

    A refusal is logged and audited (``equipage.audit.security``): this is an
    attempt. ``can`` asks the same question silently, to draw buttons.
    """
    actor = as_actor(actor)
    try:
        _decide(actor, cap, target)
    except (PermissionDenied, NotFound) as exc:
        note_denied(actor, exc, capability=str(cap), target=target)
        raise


def _decide(actor: Actor, cap: Cap, target: Any) -> None:
    if not actor.is_privileged and _target_org_id(actor, target) != actor.organization_id:
        raise NotFound(_("Not found."))
    if actor.is_privileged:
        return
    if actor.member is not None and not actor.member.is_active:
        raise PermissionDenied(_("Your account is not active."))

    if cap in _org_caps(actor):
        if (
            isinstance(target, Member)
            and cap in _MUTATING
            and target.pk != _self_pk(actor)
            and member_rank(target) > actor.rank
        ):
            raise PermissionDenied(_("You cannot change a member whose role is above yours."))
        return

    if isinstance(target, Member) and target.pk == _self_pk(actor) and cap == Cap.MEMBER_VIEW:
        return

    if cap in GROUP_ADMIN_CAPS and actor.group_reach:
        if _group_admin_allows(actor, cap, target):
            return
        raise PermissionDenied(_("This member is outside the groups you administer."))

    raise PermissionDenied(_("You do not have permission to do this."))


def _self_pk(actor: Actor) -> int | None:
    return actor.member.pk if actor.member is not None else None


def _group_admin_allows(actor: Actor, cap: Cap, target: Any) -> bool:
    from equipage.groups.models import Group, GroupMembership
    from equipage.organizations.models import Organization

    reach = actor.group_reach
    if target is None or isinstance(target, Organization):
        # Organization-wide question ("may they create / deactivate anyone at all?"):
        # yes; the chosen groups or members are checked one by one afterwards.
        return True
    if isinstance(target, Group):
        return cap == Cap.GROUP_MEMBERS and target.pk in reach
    if isinstance(target, Member):
        if member_rank(target) > 0:
            return False
        groups = set(
            GroupMembership.objects.filter(member=target).values_list("group_id", flat=True)
        )
        if not groups:
            return False
        if cap in GROUP_ADMIN_WHOLE_REACH:
            return groups <= reach
        return bool(groups & reach)
    return False


def authorize_groups(actor: Actor, group_ids: list[int]) -> None:
    """Raise unless the actor may put members into every one of ``group_ids`` (audited)."""
    try:
        _decide_groups(actor, group_ids)
    except PermissionDenied as exc:
        note_denied(actor, exc, capability=str(Cap.GROUP_MEMBERS))
        raise


def refuse(actor: Actor | Member, message: Any, *, capability: str = "") -> PermissionDenied:
    """Return a ``PermissionDenied`` for an action's own refusal, noted like ``authorize``'s."""
    error = PermissionDenied(message)
    note_denied(as_actor(actor), error, capability=capability)
    return error


def assignable_group_ids(actor: Actor | Member) -> frozenset[int] | None:
    """Return the groups the actor may put members into: None for any, else their reach.

    The one answer behind ``authorize_groups`` and the console's group pickers.
    """
    actor = as_actor(actor)
    if actor.is_privileged or Cap.GROUP_MEMBERS in _org_caps(actor):
        return None
    return actor.group_reach


# The groups an actor may put members into: None for any (``assignable_group_ids``).
GroupReach = frozenset[int] | None


def group_reach_refusal(
    group_ids: Collection[int], reach: GroupReach, *, need_one: bool = True
) -> Literal["needed", "outside"] | None:
    """Say why members cannot be put in ``group_ids`` within ``reach``, or None: the one rule.

    A group admin (a ``reach``) puts a new member in at least one of their
    groups (``need_one``) and in none outside them. Pure: ``authorize_groups``
    and the member rules (``accounts.rules.groups_refusal``) both ask it.
    """
    if reach is None:
        return None
    if not group_ids:
        return "needed" if need_one else None
    if not set(group_ids) <= reach:
        return "outside"
    return None


def _decide_groups(actor: Actor, group_ids: list[int]) -> None:
    found = group_reach_refusal(group_ids, assignable_group_ids(actor))
    if found == "needed":
        raise PermissionDenied(_("As a group admin, choose at least one of your groups."))
    if found == "outside":
        raise PermissionDenied(_("You can only add members to the groups you administer."))


def can(actor: Actor | Member, cap: Cap, target: Any = None) -> bool:
    """Tell whether ``actor`` may use ``cap`` on ``target`` (for templates and buttons)."""
    try:
        _decide(as_actor(actor), cap, target)
    except (PermissionDenied, NotFound):
        return False
    return True


def grantable_roles(actor: Actor | Member) -> list[str]:
    """Return the roles this actor may grant: none above their own, never owner."""
    actor = as_actor(actor)
    if not actor.is_privileged and Cap.MEMBER_SET_ROLES not in _org_caps(actor):
        return [Role.MEMBER] if actor.group_reach else []
    return [r for r in (Role.ADMIN, Role.USER_ADMIN, Role.MEMBER) if ROLE_RANK[r] <= actor.rank]


def members_visible_to(actor: Actor | Member, *, in_bin: bool = False) -> QuerySet[Member]:
    """Return the members this actor may see (the queryset twin of ``MEMBER_VIEW``).

    Members in the bin (deleted, not yet erased) are seen only with ``in_bin``
    (the bin's page and restoring): every list, export and SCIM read leaves them out.
    """
    from equipage.groups.models import GroupMembership

    actor = as_actor(actor)
    if actor.organization_id is None:
        return Member.objects.none()
    base = Member.objects.filter(organization_id=actor.organization_id)
    if in_bin:
        base = base.filter(state=MemberState.BINNED)
    else:
        base = outside_bin(base, actor.organization_id)
    if actor.is_privileged or Cap.MEMBER_VIEW in _org_caps(actor):
        return base
    own = base.filter(pk=actor.member.pk) if actor.member is not None else base.none()
    if actor.group_reach:
        in_reach = GroupMembership.objects.filter(
            member=OuterRef("pk"), group_id__in=actor.group_reach
        )
        return base.filter(Exists(in_reach)) | own
    return own


def outside_bin(members: QuerySet[Member], organization_id: int) -> QuerySet[Member]:
    """Leave out the members in the bin, keeping the directory's name walk index-only.

    PostgreSQL's name index includes ``state``: a plain filter. SQLite's leaves
    ``state`` out on purpose (directory 0004: a state change must not rewrite
    it), so a filter on it would read every row of a page from the table; the
    organization's few binned ids are read once from its (organization, state)
    index instead, and checked against the name index's ``id``.
    """
    if connections[members.db].vendor != "sqlite":
        return members.exclude(state=MemberState.BINNED)
    binned = Member.objects.filter(organization_id=organization_id, state=MemberState.BINNED)
    return members.exclude(pk__in=binned.values("pk"))


def reach_kind(actor: Actor | Member, cap: Cap) -> str:
    """Name the class of members ``actor`` may use ``cap`` on: equal kinds, equal querysets.

    Lets a caller asking about many capabilities (the directory's buttons) run
    one query per kind instead of one per capability.
    """
    actor = as_actor(actor)
    if actor.is_privileged:
        return "visible"
    if cap in _org_caps(actor):
        return "below" if cap in _MUTATING else "visible"
    if cap in GROUP_ADMIN_CAPS and actor.group_reach:
        return "group_whole" if cap in GROUP_ADMIN_WHOLE_REACH else "group"
    return "none"


def manageable_among(
    actor: Actor | Member, cap: Cap, roles: Mapping[int, Collection[str]]
) -> set[int] | None:
    """Return which of these members (id → their roles) ``actor`` may use ``cap`` on.

    The in-memory twin of ``members_manageable_by`` for members the actor already
    sees (a directory page, whose roles are loaded with its rows): no query. None
    when the answer takes the database (a group admin's reach reads memberships).
    """
    actor = as_actor(actor)
    kind = reach_kind(actor, cap)
    if kind == "visible":
        return set(roles)
    if kind == "below":
        return {pk for pk, held in roles.items() if all(ROLE_RANK[r] <= actor.rank for r in held)}
    if kind == "none":
        return set()
    return None


def members_manageable_by(
    actor: Actor | Member, cap: Cap, *, in_bin: bool = False
) -> QuerySet[Member]:
    """Return the members on which ``actor`` may use ``cap``, for bulk selections
    (``in_bin``: among the members in the bin)."""
    from equipage.groups.models import GroupMembership

    actor = as_actor(actor)
    kind = reach_kind(actor, cap)
    visible = members_visible_to(actor, in_bin=in_bin)
    if kind == "visible":
        return visible
    if kind == "below":
        above = MemberRole.objects.filter(
            member=OuterRef("pk"),
            role__in=[r for r, rank in ROLE_RANK.items() if rank > actor.rank],
        )
        return visible.exclude(Exists(above))
    if kind in ("group", "group_whole"):
        elevated = MemberRole.objects.filter(member=OuterRef("pk")).exclude(role=Role.MEMBER)
        qs = visible.exclude(Exists(elevated))
        if actor.member is not None:
            qs = qs.exclude(pk=actor.member.pk)
        if kind == "group_whole":
            outside = GroupMembership.objects.filter(member=OuterRef("pk")).exclude(
                group_id__in=actor.group_reach
            )
            qs = qs.exclude(Exists(outside))
        return qs
    return Member.objects.none()


def access_member_by_id(
    actor: Actor | Member, member_id: Any, cap: Cap = Cap.MEMBER_VIEW
) -> Member:
    """Fetch a member the actor may see and authorise ``cap`` on it, or raise ``NotFound``."""
    actor = as_actor(actor)
    try:
        member = members_visible_to(actor).select_related("organization").get(pk=int(member_id))
    except (Member.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Member not found.")) from None
    authorize(actor, cap, member)
    return member


def access_group_by_id(actor: Actor | Member, group_id: Any, cap: Cap = Cap.GROUP_MANAGE) -> Group:
    """Fetch a group of the actor's organization and authorise ``cap`` on it."""
    from equipage.groups.models import Group

    actor = as_actor(actor)
    try:
        group = Group.objects.get(pk=int(group_id), organization_id=actor.organization_id or 0)
    except (Group.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Group not found.")) from None
    authorize(actor, cap, group)
    return group


def _in_organization[M: Model](actor: Actor, model: type[M], raw_id: Any, missing: str) -> M:
    """Fetch the row of ``model`` named by ``raw_id`` in the actor's organization, or NotFound."""
    try:
        return model._default_manager.get(
            pk=parse_id(raw_id) or 0, organization_id=actor.organization_id or 0
        )
    except ObjectDoesNotExist:
        raise NotFound(missing) from None


def access_label_by_id(
    actor: Actor | Member, label_id: Any, cap: Cap | None = Cap.LABEL_MANAGE
) -> Label:
    """Fetch a label of the actor's organization and authorise ``cap`` on it.

    ``cap=None`` only scopes the lookup: labels are organization-wide, and
    attaching one is authorised member by member by the label actions.
    """
    from equipage.groups.models import Label

    actor = as_actor(actor)
    label = _in_organization(actor, Label, label_id, _("Label not found."))
    if cap is not None:
        authorize(actor, cap, label)
    return label


def access_custom_field_by_id(
    actor: Actor | Member, field_id: Any, cap: Cap = Cap.CUSTOM_FIELD_MANAGE
) -> CustomField:
    """Fetch a custom field of the actor's organization and authorise ``cap`` on it."""
    actor = as_actor(actor)
    field = _in_organization(actor, CustomField, field_id, _("Custom field not found."))
    authorize(actor, cap, field)
    return field


def access_transfer_by_id(actor: Actor | Member, transfer_id: Any) -> OwnershipTransfer:
    """Fetch an ownership transfer the actor is a party to (the owner or the named admin).

    Anyone else, in this organization or another, is told it does not exist.
    """
    actor = as_actor(actor)
    me = actor.member.pk if actor.member is not None else None
    transfer = _in_organization(
        actor, OwnershipTransfer, transfer_id, _("Ownership transfer not found.")
    )
    if me is None or me not in (transfer.from_member_id, transfer.to_member_id):
        raise NotFound(_("Ownership transfer not found."))
    return transfer
