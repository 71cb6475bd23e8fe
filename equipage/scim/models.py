"""What a SCIM client sent that Equipage has no column for, kept to give it back as sent."""

from __future__ import annotations

from django.db import models

from equipage.core.models import OrgScoped


class ScimExtra(OrgScoped):
    """The unmapped SCIM attributes of one member or one group (nickName, addresses, ...).

    Mapped attributes (userName, names, title, active, the primary e-mail,
    externalId, group names and members) live in their own columns and are
    never read from here.
    """

    member = models.OneToOneField(
        "accounts.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.OneToOneField(
        "groups.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=False) | models.Q(group__isnull=False),
                name="scimextra_has_owner",
            )
        ]
