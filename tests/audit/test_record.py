"""Bulk audit rows keep exactly what each event said, repeated values or not."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from equipage.audit.models import AuditEvent
from equipage.audit.record import record_rows
from equipage.permissions import as_actor


@pytest.mark.django_db
def test_record_rows_keeps_each_events_values_with_their_types(org: Any, admin: Any) -> None:
    # True and 1 hash alike: a remembered serialisation must not mix them up.
    values: list[Any] = [True, 1, "1", None, 1.0, ["a"], True, 1]
    rows = [
        ("member.updated", admin.pk, "member", str(admin.pk), "Adam", {"x": v}, {"x": v, "y": i})
        for i, v in enumerate(values)
    ]
    with transaction.atomic():
        record_rows(actor=as_actor(admin), organization=org, rows=rows)
    written = list(
        AuditEvent.objects.filter(organization=org, event_type="member.updated").order_by("id")
    )
    assert [(e.before, e.after) for e in written] == [
        ({"x": v}, {"x": v, "y": i}) for i, v in enumerate(values)
    ]
    assert [type(e.before["x"]) for e in written] == [type(v) for v in values]
