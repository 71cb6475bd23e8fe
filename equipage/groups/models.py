"""Groups (a tree), group memberships and labels."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from equipage.core.models import OrgScoped


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class GroupRole(models.TextChoices):
    MEMBER = "member", _("Member")
    GROUP_ADMIN = "group_admin", _("Group admin")


class Group(OrgScoped):
    """A node of the organization's group tree.

    ``path`` is the materialised list of ancestor ids (``/1/4/9/``) so that a
    subtree is one indexed prefix query.
    """

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=150)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    path = models.CharField(max_length=1000, default="/", db_index=True)
    created_at = models.DateTimeField()
    # The name as the import matches it, hashed (core.text.stored_key): the database's
    # own guard against twins. Empty for twins made before names were unique (groups 0003).
    name_key = models.CharField(  # noqa: DJ001  # NULL: a twin left outside the constraint
        max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="group_name_unique"),
            models.UniqueConstraint(
                fields=["organization", "name_key"], name="group_name_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p][:-1]

    @property
    def depth(self) -> int:
        return len(self.ancestor_ids)


def subtree_ids(organization_id: int | None, root_ids: Iterable[int]) -> set[int]:
    """Return ``root_ids`` and the ids of all their descendants, in one query.

    Here, beside ``Group.path``, rather than in the selectors: a group admin's
    reach (``permissions.actor``) is a subtree, and permissions sit below groups.
    """
    if organization_id is None:
        return set()
    roots = list(Group.objects.filter(organization_id=organization_id, pk__in=list(root_ids)))
    if not roots:
        return set()
    cond = Q()
    for root in roots:
        cond |= Q(path__startswith=root.path)
    return set(
        Group.objects.filter(cond, organization_id=organization_id).values_list("pk", flat=True)
    )


class GroupMembership(OrgScoped):
    # group and member are indexed by the two composite indexes below (groups 0002).
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    member = models.ForeignKey(
        "accounts.Member",
        on_delete=models.CASCADE,
        related_name="group_memberships",
        db_index=False,
    )
    role = models.CharField(max_length=12, choices=GroupRole.choices, default=GroupRole.MEMBER)
    # The day the membership ends (issue #19.5): housekeeping removes it on that day.
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "member"], name="groupmembership_unique"),
        ]
        indexes = [
            models.Index(fields=["member", "group"], name="groupmembership_member"),
            # Only the few memberships with an end date: housekeeping's daily lookup.
            models.Index(
                fields=["ends_on"],
                name="groupmembership_ends_on",
                condition=Q(ends_on__isnull=False),
            ),
        ]


class Label(OrgScoped):
    name = models.CharField(_("name"), max_length=60)
    color = models.CharField(max_length=7, default="#4b6bfb")
    name_key = models.CharField(  # noqa: DJ001  # NULL: a twin left outside the constraint
        max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="label_name_unique"),
            models.UniqueConstraint(
                fields=["organization", "name_key"], name="label_name_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberLabel(OrgScoped):
    # member and label are indexed by the two composite indexes below (groups 0002).
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="label_rows", db_index=False
    )
    label = models.ForeignKey(
        Label, on_delete=models.CASCADE, related_name="member_rows", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "label"], name="memberlabel_unique"),
        ]
        indexes = [models.Index(fields=["label", "member"], name="memberlabel_label")]
