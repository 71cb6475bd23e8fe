"""Retention settings (issue #19.3): each organization's history is forgotten after its own days."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.audit.models import AuditEvent
from equipage.audit.retention import forget_old_audit_events
from equipage.core.errors import ValidationFailed
from equipage.emails.housekeeping import forget_old_mails
from equipage.emails.models import OutboundEmail
from equipage.organizations.actions import organization_update
from equipage.organizations.models import (
    AUDIT_RETENTION_DAYS_DEFAULT,
    BIN_DAYS_DEFAULT,
    IMPORT_RETENTION_DAYS_DEFAULT,
    MAIL_RETENTION_DAYS_DEFAULT,
    WEBHOOK_LOG_RETENTION_DAYS_DEFAULT,
)
from equipage.webhooks.housekeeping import forget_old_deliveries
from equipage.webhooks.models import WebhookDelivery


def test_defaults_are_a_year_of_audit_ninety_days_of_mail_and_imports_thirty_of_webhooks(
    org: Any,
) -> None:
    assert (
        org.bin_days,
        org.audit_retention_days,
        org.mail_retention_days,
        org.webhook_log_retention_days,
        org.import_retention_days,
    ) == (30, 365, 90, 30, 90)
    assert (BIN_DAYS_DEFAULT, AUDIT_RETENTION_DAYS_DEFAULT) == (30, 365)
    assert (MAIL_RETENTION_DAYS_DEFAULT, WEBHOOK_LOG_RETENTION_DAYS_DEFAULT) == (90, 30)
    assert IMPORT_RETENTION_DAYS_DEFAULT == 90


def test_each_organization_forgets_its_history_after_its_own_days(
    org: Any, other_org: Any, admin: Any, other_admin: Any, frozen_clock: Any
) -> None:
    from equipage.accounts.actions import member_send_password_link, member_update
    from equipage.emails.outbox import deliver_due
    from equipage.webhooks.actions import webhook_create

    for who, where in ((admin, org), (other_admin, other_org)):
        webhook_create(
            actor=who, organization=where, url="https://h.example.com/", events=["member.updated"]
        )
        member_update(actor=who, member=who, job_title="Old")
        member_send_password_link(actor=who, member=who)
    deliver_due()
    WebhookDelivery.objects.update(status="delivered")
    sent = OutboundEmail.objects.filter(organization=org, status="sent").count()
    kept = OutboundEmail.objects.filter(organization=other_org).count()
    organization_update(
        actor=admin,
        organization=org,
        audit_retention_days=10,
        mail_retention_days=10,
        webhook_log_retention_days=10,
    )
    frozen_clock.advance(days=11)
    assert forget_old_audit_events() > 0
    assert sent >= 1 and forget_old_mails() == sent
    assert forget_old_deliveries() == 1
    assert not AuditEvent.objects.filter(organization=org).exists()
    assert not OutboundEmail.objects.filter(organization=org).exists()  # all were sent
    assert not WebhookDelivery.objects.filter(organization=org).exists()
    # globex keeps its defaults: nothing of it is old enough.
    assert AuditEvent.objects.filter(organization=other_org).count() > 1
    assert OutboundEmail.objects.filter(organization=other_org).count() == kept
    assert WebhookDelivery.objects.filter(organization=other_org).count() == 1


def test_a_mail_not_yet_sent_is_never_forgotten(
    org: Any, admin: Any, member: Any, frozen_clock: Any
) -> None:
    from equipage.accounts.actions import member_send_password_link

    member_send_password_link(actor=admin, member=member)
    waiting = OutboundEmail.objects.filter(organization=org, status="queued").count()
    organization_update(actor=admin, organization=org, mail_retention_days=1)
    frozen_clock.advance(days=5)
    assert waiting >= 1 and forget_old_mails() == 0
    assert OutboundEmail.objects.filter(organization=org, status="queued").count() == waiting


@pytest.mark.parametrize("field", ["bin_days", "audit_retention_days", "import_retention_days"])
def test_retention_outside_its_bounds_is_refused(org: Any, admin: Any, field: str) -> None:
    with pytest.raises(ValidationFailed, match="number of days"):
        organization_update(actor=admin, organization=org, **{field: 0})
    with pytest.raises(ValidationFailed):
        organization_update(actor=admin, organization=org, **{field: "soon"})


def test_a_member_cannot_change_retention(org: Any, member: Any) -> None:
    from equipage.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        organization_update(actor=member, organization=org, audit_retention_days=1)
