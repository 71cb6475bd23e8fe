"""The console's own writes: a member dismissing a notice (permission, tenant, audit)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import ValidationFailed
from equipage.organizations.models import Organization
from equipage.permissions import Actor, refuse
from equipage.web.models import Notice, NoticeDismissal


def notice_dismiss(*, actor: Actor, organization: Organization, notice: str) -> bool:
    """Remember that the acting member dismissed ``notice``; True when it was not yet.

    A member dismisses only for themselves and only in their own organization;
    dismissing twice changes nothing and is audited once.
    """
    if notice not in Notice.values:
        raise ValidationFailed(_("Unknown notice."))
    member = actor.member
    if member is None or member.organization_id != organization.pk:
        raise refuse(actor, _("You do not have permission to do this."))
    with transaction.atomic():
        _row, created = NoticeDismissal.objects.get_or_create(
            organization=organization,
            member=member,
            notice=notice,
            defaults={"dismissed_at": clock.now()},
        )
        if created:
            record(
                actor=actor,
                organization=organization,
                event=EventType.NOTICE_DISMISSED,
                target=member,
                after={"notice": notice},
            )
    return created


def dismissed(member_id: int, notice: str) -> bool:
    """Tell whether the member dismissed ``notice`` (one indexed lookup)."""
    return NoticeDismissal.objects.filter(member_id=member_id, notice=notice).exists()
