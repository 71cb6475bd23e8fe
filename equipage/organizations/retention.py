"""How long each kind of history is kept, per organization, and the deleting of what is older.

The organization chooses the days (its settings page, « Conservation des
données »); each app deletes its own rows with ``forget_older`` from its
housekeeping job: the audit trail, the outbox, webhook delivery logs, the
import history. A round deletes at most ``BATCH`` rows per organization and
table, so a first run on a large history does not hold one long transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from equipage.core import clock
from equipage.organizations.models import Organization

BATCH = 10_000

# The organization's field holding each kind's days (its settings form lists them).
RETENTION_FIELDS = (
    "audit_retention_days",
    "mail_retention_days",
    "webhook_log_retention_days",
    "import_retention_days",
)


def cutoffs(days_field: str) -> list[tuple[int, dt.datetime]]:
    """Return (organization id, the moment before which that history is forgotten)."""
    now = clock.now()
    return [
        (pk, now - dt.timedelta(days=days))
        for pk, days in Organization.objects.values_list("pk", days_field)
    ]


def forget_older(
    qs: models.QuerySet[Any], *, days_field: str, date_field: str, org_field: str = "organization"
) -> int:
    """Delete the rows of ``qs`` older than their organization keeps them; return how many
    (of ``qs``'s model: rows going with them by a cascading key are not counted)."""
    total = 0
    for org_id, cutoff in cutoffs(days_field):
        old = qs.filter(**{f"{org_field}_id": org_id, f"{date_field}__lt": cutoff})
        ids = list(old.order_by().values_list("pk", flat=True)[:BATCH])
        if ids:
            _all, by_model = qs.model._base_manager.filter(pk__in=ids).delete()
            total += by_model.get(qs.model._meta.label, 0)
    return total
