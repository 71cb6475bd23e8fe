"""Dormant accounts (issue #19.5): a warning mail, then deactivation, for members nobody uses.

A member's period without login starts at their last login or their
(re)activation, whichever is later (the creation for an account active
without either). When it reaches ``after_days - warning_days`` days they get
one warning mail (``DormancyWarning`` keeps it to one per period); when it
reaches ``after_days`` and the warning is ``warning_days`` old, they are
deactivated through ``members_deactivate`` as the system: the one
deactivation routine, audited, with its webhooks. A login in between starts
a new period. The owner is never a candidate.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from equipage.accounts.models import Member, MemberRole, MemberState, Role
from equipage.audit.events import EventType
from equipage.audit.record import Entry, record_many
from equipage.core import clock
from equipage.organizations.models import DormancyWarning, LifecyclePolicy, Organization
from equipage.permissions import Actor

log = logging.getLogger(__name__)

# Members handled per organization and round: a backlog is worked off over the next rounds.
BATCH = 500


def inactive_q(cutoff: dt.datetime) -> Q:
    """Match members with no login since ``cutoff`` (counting from their activation if later).

    The directory's filter « no login for more than N days » and the dormancy
    rule share it, so the list an admin sees is the list the rule acts on.
    """
    return (
        (Q(last_login__isnull=True) | Q(last_login__lte=cutoff))
        & (Q(activated_at__isnull=True) | Q(activated_at__lte=cutoff))
        & ~Q(last_login__isnull=True, activated_at__isnull=True, created_at__gt=cutoff)
    )


def inactive_since(member: Member) -> dt.datetime:
    """Return when ``member``'s current period without login started."""
    marks = [t for t in (member.last_login, member.activated_at) if t is not None]
    return max(marks) if marks else member.created_at


def _candidates(org: Organization, cutoff: dt.datetime) -> QuerySet[Member]:
    owners = MemberRole.objects.filter(organization_id=org.pk, role=Role.OWNER).values("member_id")
    return (
        Member.objects.filter(organization_id=org.pk, state=MemberState.ACTIVE)
        .filter(inactive_q(cutoff))
        .exclude(pk__in=owners)
        .only(*_COLUMNS)
        .order_by("id")
    )


_COLUMNS = (
    "id",
    "organization_id",
    "login",
    "email",
    "language",
    "first_name",
    "last_name",
    "last_login",
    "activated_at",
    "created_at",
)


def _current_warning() -> QuerySet[DormancyWarning]:
    """Match the warning of the member's current period: none older than a login or activation."""
    return DormancyWarning.objects.filter(
        member_id=OuterRef("pk"),
        since__gte=Coalesce(OuterRef("last_login"), OuterRef("created_at")),
    ).filter(since__gte=Coalesce(OuterRef("activated_at"), OuterRef("created_at")))


def warn_dormant(policy: LifecyclePolicy, now: dt.datetime) -> int:
    """Send the warning mail to members whose period without login reaches the warning day."""
    from equipage.organizations.lifecycle import dormancy_rule
    from equipage.organizations.seats import lock_organization

    rule = dormancy_rule(policy)
    cutoff = now - dt.timedelta(days=rule.after_days - rule.warning_days)
    warned = 0
    with transaction.atomic():
        org = lock_organization(policy.organization_id)
        for member in _candidates(org, cutoff).filter(~Exists(_current_warning()))[:BATCH]:
            since = inactive_since(member)
            try:
                with transaction.atomic():
                    DormancyWarning.objects.create(
                        organization=org, member=member, since=since, warned_at=now
                    )
            except IntegrityError:  # another node warned them first: no second mail
                continue
            deactivate_on = max(
                since + dt.timedelta(days=rule.after_days),
                now + dt.timedelta(days=rule.warning_days),
            )
            _warn(org, member, since, deactivate_on.date(), rule.after_days)
            warned += 1
    return warned


def _warn(
    org: Organization, member: Member, since: dt.datetime, deactivate_on: dt.date, days: int
) -> None:
    """Queue the warning mail (when the member has an address) and audit it, as the system."""
    from equipage.emails.models import MailKind
    from equipage.emails.outbox import queue_mail

    if member.email:
        queue_mail(
            kind=MailKind.DORMANT_WARNING,
            to=member.email,
            organization=org,
            member=member,
            context={"days": days, "deactivate_on": deactivate_on},
        )
    record_many(
        actor=Actor.system(org, "dormant accounts"),
        organization=org,
        entries=[
            Entry(
                EventType.MEMBER_DORMANT_WARNED,
                target=member,
                after={
                    "inactive_since": since.isoformat(),
                    "deactivate_on": deactivate_on.isoformat(),
                    "mailed": bool(member.email),
                },
            )
        ],
    )


def deactivate_dormant(policy: LifecyclePolicy, now: dt.datetime) -> int:
    """Deactivate members dormant for ``after_days`` whose warning is ``warning_days`` old."""
    from equipage.accounts.actions import members_deactivate
    from equipage.organizations.lifecycle import dormancy_rule
    from equipage.organizations.seats import lock_organization

    rule = dormancy_rule(policy)
    cutoff = now - dt.timedelta(days=rule.after_days)
    warned_before = now - dt.timedelta(days=rule.warning_days)
    with transaction.atomic():
        org = lock_organization(policy.organization_id)
        warned = _current_warning().filter(warned_at__lte=warned_before)
        due = list(
            _candidates(org, cutoff).filter(Exists(warned)).values_list("pk", flat=True)[:BATCH]
        )
        if not due:
            return 0
        result = members_deactivate(
            actor=Actor.system(org, "dormant accounts"), organization=org, members=due
        )
        for member, reason in result.skipped:
            log.info("dormant member %s not deactivated: %s", member, reason)
        return len(result.done)


def apply_dormancy() -> int:
    """Warn, then deactivate, dormant members of every organization that turned the policy on."""
    now = clock.now()
    total = 0
    for policy in LifecyclePolicy.objects.filter(dormant_enabled=True).order_by("pk"):
        total += deactivate_dormant(policy, now)
        total += warn_dormant(policy, now)
    return total
