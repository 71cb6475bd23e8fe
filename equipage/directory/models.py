"""What the directory keeps in the database besides the members' own tables."""

from __future__ import annotations

from django.db import models


class CatalogVersion(models.Model):
    """A value that changes whenever an organization's groups, labels or custom fields change.

    Written only by triggers (directory 0007) on ``groups_group``, ``groups_label`` and
    ``accounts_customfield``, in the writer's own transaction, whatever wrote the rows
    (actions, imports, SCIM, raw SQL). A new random value each time, never a counter:
    a rolled-back write or a restored backup cannot bring an old value back with other
    rows. Every web process caches the directory's filter choices under it
    (``directory.catalog``). No foreign key: the triggers also fire while an
    organization's rows are being deleted with it.
    """

    organization_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.version}"
