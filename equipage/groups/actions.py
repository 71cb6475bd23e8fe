"""Every write about groups and labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import Member
from equipage.audit.events import EventType
from equipage.audit.record import Entry, notifications_batched, record, record_many
from equipage.core import clock
from equipage.core.bulk import BulkResult
from equipage.core.errors import Conflict, InvariantViolation, ValidationFailed
from equipage.core.text import LIST_SEPARATORS, clean_name, stored_key, twin_of
from equipage.groups.memberships import add_memberships
from equipage.groups.models import Group, GroupMembership, GroupRole, Label, MemberLabel, Visibility
from equipage.organizations.models import Organization
from equipage.organizations.seats import lock_organization
from equipage.permissions import Actor, Cap, as_actor, authorize
from equipage.permissions.policy import members_manageable_by

# Levels of the group tree, a top-level group being level 1 (GitLab's limit): every walk of
# the tree is a loop, and the deepest group's path stays short.
MAX_DEPTH = 20


def _too_deep() -> InvariantViolation:
    return InvariantViolation(
        _("Groups nest %(n)d levels deep at most.") % {"n": MAX_DEPTH}, field="parent"
    )


def _clean_name(name: str, max_length: int = 150) -> str:
    """Return the name cleaned; commas, semicolons and bars welcome (IdPs send « Sales, EMEA »).

    The import reads a cell's pieces back greedily (imports.listnames), so a
    name holding separators round-trips; a name of separators alone has no
    piece to be read by, and is refused.
    """
    name = clean_name(name, field="name", max_length=max_length, required=True)
    if not name.strip(LIST_SEPARATORS + " "):
        raise ValidationFailed(
            _("A group or label name needs more than commas, semicolons and vertical bars."),
            field="name",
        )
    return name


def ensure_group_name_free(organization_id: int, name: str, exclude_pk: int | None = None) -> None:
    """Refuse a group name the import would read as another's (``list_name_key``)."""
    others = Group.objects.filter(organization_id=organization_id)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    twin = twin_of(name, others.values_list("name", flat=True).iterator())
    if twin is not None:
        raise Conflict(
            _(
                "The group “%(o)s” already exists: the import would read “%(n)s” as the same "
                "group (it ignores case, accents, extra spaces and which of , ; | separates words)."
            )
            % {"o": twin, "n": name},
            field="name",
        )


def ensure_label_name_free(organization_id: int, name: str) -> None:
    """Refuse a label name the import would read as another's (``list_name_key``)."""
    others = Label.objects.filter(organization_id=organization_id)
    twin = twin_of(name, others.values_list("name", flat=True).iterator())
    if twin is not None:
        raise Conflict(
            _(
                "The label “%(o)s” already exists: the import would read “%(n)s” as the same "
                "label (it ignores case, accents, extra spaces and which of , ; | separates words)."
            )
            % {"o": twin, "n": name},
            field="name",
        )


def group_create(
    *,
    actor: Actor | Member,
    organization: Organization,
    name: str,
    parent: Group | None = None,
    visibility: str = Visibility.PUBLIC,
) -> Group:
    actor = as_actor(actor)
    authorize(actor, Cap.GROUP_MANAGE, organization)
    name = _clean_name(name)
    if parent is not None and parent.organization_id != organization.pk:
        raise ValidationFailed(_("Parent group not found."), field="parent")
    if parent is not None and parent.depth + 1 >= MAX_DEPTH:
        raise _too_deep()
    if visibility not in Visibility.values:
        raise ValidationFailed(_("Visibility must be public or private."), field="visibility")
    with transaction.atomic():
        lock_organization(organization.pk)
        ensure_group_name_free(organization.pk, name)
        try:
            with transaction.atomic():
                group = Group.objects.create(
                    organization=organization,
                    parent=parent,
                    name=name,
                    name_key=stored_key(name),
                    visibility=visibility,
                    created_at=clock.now(),
                )
        except IntegrityError:
            raise Conflict(
                _("A group named “%(n)s” already exists.") % {"n": name}, field="name"
            ) from None
        group.path = f"{parent.path if parent else '/'}{group.pk}/"
        group.save(update_fields=["path"])
        record(
            actor=actor,
            organization=organization,
            event=EventType.GROUP_CREATED,
            target=group,
            after={
                "name": name,
                "parent": parent.name if parent else None,
                "visibility": visibility,
            },
        )
    return group


def group_update(
    *, actor: Actor | Member, group: Group, name: str | None = None, visibility: str | None = None
) -> Group:
    actor = as_actor(actor)
    authorize(actor, Cap.GROUP_MANAGE, group)
    before = {"name": group.name, "visibility": group.visibility}
    if name is not None:
        group.name = _clean_name(name)
        group.name_key = stored_key(group.name)
    if visibility is not None:
        if visibility not in Visibility.values:
            raise ValidationFailed(_("Visibility must be public or private."), field="visibility")
        group.visibility = visibility
    after = {"name": group.name, "visibility": group.visibility}
    if before == after:
        return group
    with transaction.atomic():
        if group.name != before["name"]:
            lock_organization(group.organization_id)
            ensure_group_name_free(group.organization_id, group.name, exclude_pk=group.pk)
        try:
            with transaction.atomic():
                group.save(update_fields=["name", "name_key", "visibility"])
        except IntegrityError:
            raise Conflict(
                _("A group named “%(n)s” already exists.") % {"n": group.name}, field="name"
            ) from None
        record(
            actor=actor,
            organization=group.organization,
            event=EventType.GROUP_UPDATED,
            target=group,
            before=before,
            after=after,
        )
    return group


def group_move(*, actor: Actor | Member, group: Group, new_parent: Group | None) -> Group:
    """Move a group (with its subtree) under another parent; refuses cycles."""
    actor = as_actor(actor)
    authorize(actor, Cap.GROUP_MANAGE, group)
    if new_parent is not None:
        if new_parent.organization_id != group.organization_id:
            raise ValidationFailed(_("Parent group not found."), field="parent")
        if new_parent.path.startswith(group.path):
            raise InvariantViolation(_("A group cannot be moved inside itself or its subgroups."))
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        subtree = list(
            Group.objects.filter(
                organization_id=group.organization_id, path__startswith=group.path
            ).values_list("path", flat=True)
        )
        below = max(p.count("/") for p in subtree) - group.path.count("/")
        if (new_parent.depth + 1 if new_parent else 0) + below >= MAX_DEPTH:
            raise _too_deep()
        old_path = group.path
        new_path = f"{new_parent.path if new_parent else '/'}{group.pk}/"
        before_parent = group.parent.name if group.parent else None
        group.parent = new_parent
        group.path = new_path
        group.save(update_fields=["parent", "path"])
        for sub in Group.objects.filter(
            organization_id=group.organization_id, path__startswith=old_path
        ).exclude(pk=group.pk):
            sub.path = new_path + sub.path[len(old_path) :]
            sub.save(update_fields=["path"])
        record(
            actor=actor,
            organization=group.organization,
            event=EventType.GROUP_MOVED,
            target=group,
            before={"parent": before_parent},
            after={"parent": new_parent.name if new_parent else None},
        )
    return group


def group_delete(*, actor: Actor | Member, group: Group) -> None:
    """Delete an empty-of-subgroups group; its memberships go, its members stay."""
    actor = as_actor(actor)
    authorize(actor, Cap.GROUP_MANAGE, group)
    if Group.objects.filter(parent=group).exists():
        raise InvariantViolation(_("Move or delete the subgroups of this group first."))
    with transaction.atomic():
        record(
            actor=actor,
            organization=group.organization,
            event=EventType.GROUP_DELETED,
            target=group,
            before={"name": group.name, "members": group.memberships.count()},
        )
        group.delete()


def group_add_member(
    *,
    actor: Actor | Member,
    group: Group,
    member: Member,
    role: str = GroupRole.MEMBER,
    ends_on: dt.date | None = None,
) -> list[GroupMembership]:
    """Add a member to a group; a plain member also joins the public ancestors (seed 002).

    ``ends_on``: the day the membership ends; housekeeping removes it on that day
    (``groups.housekeeping``). It cannot be in the past.
    """
    actor = as_actor(actor)
    if ends_on is not None and ends_on < clock.today():
        raise ValidationFailed(_("The end date cannot be in the past."), field="ends_on")
    authorize(actor, Cap.GROUP_MEMBERS, group)
    if member.organization_id != group.organization_id:
        raise ValidationFailed(_("Member not found."))
    if role not in GroupRole.values:
        raise ValidationFailed(_("Unknown group role."), field="role")
    if role == GroupRole.GROUP_ADMIN:
        authorize(actor, Cap.GROUP_MANAGE, group)
    with transaction.atomic():
        return add_memberships(
            actor=actor, member=member, group_ids=[group.pk], role=role, ends_on=ends_on
        )


def groups_add_members(
    *, actor: Actor | Member, group: Group, members: Iterable[Member | int]
) -> BulkResult:
    """Add many members to a group (bulk action), with propagation."""
    actor = as_actor(actor)
    authorize(actor, Cap.GROUP_MEMBERS, group)
    ids = list(dict.fromkeys(m if isinstance(m, int) else m.pk for m in members))
    result = BulkResult()
    # One listener call for the whole action: its webhooks go out in batched deliveries.
    with transaction.atomic(), notifications_batched():
        for member in Member.objects.filter(organization_id=group.organization_id, pk__in=ids):
            if add_memberships(actor=actor, member=member, group_ids=[group.pk]):
                result.done.append(member)
            else:
                result.skip(member, _("Already in this group."))
    return result


def group_remove_member(
    *, actor: Actor | Member, group: Group, member: Member, missing_ok: bool = True
) -> None:
    """Take ``member`` out of ``group``; ``missing_ok=False`` refuses one who is not in it."""
    actor = as_actor(actor)
    if not missing_ok and not GroupMembership.objects.filter(group=group, member=member).exists():
        raise InvariantViolation(_("Not in this group."))
    authorize(actor, Cap.GROUP_MEMBERS, group)
    with transaction.atomic():
        deleted, _rows = GroupMembership.objects.filter(group=group, member=member).delete()
        if deleted:
            record(
                actor=actor,
                organization=group.organization,
                event=EventType.GROUP_MEMBER_REMOVED,
                target=group,
                member=member,
                before={"member": member.login},
            )


def label_create(
    *, actor: Actor | Member, organization: Organization, name: str, color: str = "#4b6bfb"
) -> Label:
    actor = as_actor(actor)
    authorize(actor, Cap.LABEL_MANAGE, organization)
    name = _clean_name(name, Label._meta.get_field("name").max_length or 60)
    with transaction.atomic():
        lock_organization(organization.pk)
        ensure_label_name_free(organization.pk, name)
        try:
            with transaction.atomic():
                label = Label.objects.create(
                    organization=organization, name=name, name_key=stored_key(name), color=color
                )
        except IntegrityError:
            raise Conflict(
                _("A label named “%(n)s” already exists.") % {"n": name}, field="name"
            ) from None
        record(
            actor=actor,
            organization=organization,
            event=EventType.LABEL_CREATED,
            target=label,
            after={"name": name},
        )
    return label


def label_delete(*, actor: Actor | Member, label: Label) -> None:
    actor = as_actor(actor)
    authorize(actor, Cap.LABEL_MANAGE, label)
    with transaction.atomic():
        record(
            actor=actor,
            organization=label.organization,
            event=EventType.LABEL_DELETED,
            target=label,
            before={"name": label.name},
        )
        label.delete()


def labels_attach(
    *, actor: Actor | Member, label: Label, members: Iterable[Member | int]
) -> BulkResult:
    """Attach a label to many members; members out of the actor's reach are skipped."""
    actor = as_actor(actor)
    authorize(actor, Cap.LABEL_ASSIGN, label)
    ids = list(dict.fromkeys(m if isinstance(m, int) else m.pk for m in members))
    result = BulkResult()
    with transaction.atomic():
        allowed = members_manageable_by(actor, Cap.LABEL_ASSIGN).filter(pk__in=ids)
        already = set(
            MemberLabel.objects.filter(label=label, member_id__in=ids).values_list(
                "member_id", flat=True
            )
        )
        todo = []
        for member in Member.objects.filter(organization_id=label.organization_id, pk__in=ids):
            if member.pk in already:
                result.skip(member, _("Already has this label."))
            elif not allowed.filter(pk=member.pk).exists():
                result.skip(member, _("You do not have permission to change this member."))
            else:
                todo.append(member)
        MemberLabel.objects.bulk_create(
            [
                MemberLabel(organization_id=label.organization_id, member=m, label=label)
                for m in todo
            ]
        )
        record_many(
            actor=actor,
            organization=label.organization,
            entries=(
                Entry(EventType.LABEL_ATTACHED, target=m, after={"label": label.name}) for m in todo
            ),
        )
        result.done = todo
    return result


def labels_detach(
    *, actor: Actor | Member, label: Label, members: Iterable[Member | int]
) -> BulkResult:
    actor = as_actor(actor)
    authorize(actor, Cap.LABEL_ASSIGN, label)
    ids = list(dict.fromkeys(m if isinstance(m, int) else m.pk for m in members))
    result = BulkResult()
    with transaction.atomic():
        allowed = set(
            members_manageable_by(actor, Cap.LABEL_ASSIGN)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        rows = {
            r.member_id: r
            for r in MemberLabel.objects.filter(label=label, member_id__in=ids).select_related(
                "member"
            )
        }
        todo = []
        for member_id in ids:
            row = rows.get(member_id)
            if row is None:
                continue
            if member_id not in allowed:
                result.skip(row.member, _("You do not have permission to change this member."))
            else:
                todo.append(row)
        MemberLabel.objects.filter(pk__in=[r.pk for r in todo]).delete()
        record_many(
            actor=actor,
            organization=label.organization,
            entries=(
                Entry(EventType.LABEL_DETACHED, target=r.member, before={"label": label.name})
                for r in todo
            ),
        )
        result.done = [r.member for r in todo]
    return result
