"""An organization's lifecycle policies (issue #19.5): reading them and the one action changing them.

The jobs applying them live with what they touch: dormant accounts in
``accounts.dormancy``, invitation reminders in ``invitations.reminders``,
membership end dates in ``groups.housekeeping``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from equipage.accounts.models import Member
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import ValidationFailed
from equipage.organizations.models import LifecyclePolicy, Organization
from equipage.permissions import Actor, Cap, as_actor, authorize

DORMANT_AFTER_DAYS_RANGE = (30, 3650)
DORMANT_WARNING_DAYS_RANGE = (1, 60)
REMINDER_DAYS_RANGE = (1, 90)
MAX_REMINDERS = 5

POLICY_FIELDS = (
    "dormant_enabled",
    "dormant_after_days",
    "dormant_warning_days",
    "reminders_enabled",
    "reminder_days",
)


def lifecycle_policy(organization: Organization) -> LifecyclePolicy:
    """Return the organization's policies: the saved row, or the defaults (all off) unsaved."""
    found = LifecyclePolicy.objects.filter(organization_id=organization.pk).first()
    return found or LifecyclePolicy(organization=organization)


@dataclass(frozen=True)
class DormancyRule:
    """How long without a login makes an account dormant, and the warning's lead time."""

    after_days: int
    warning_days: int


def dormancy_rule(policy: LifecyclePolicy) -> DormancyRule:
    # The warning comes at least one day after the period starts, whatever was saved before.
    warning = max(min(policy.dormant_warning_days, policy.dormant_after_days - 1), 1)
    return DormancyRule(after_days=policy.dormant_after_days, warning_days=warning)


def parse_reminder_days(raw: Any) -> list[int]:
    """Return reminder days from a list or from text such as « 2, 5 », sorted, without twins."""
    if isinstance(raw, str):
        parts = [p for p in raw.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    elif isinstance(raw, list | tuple):
        parts = list(raw)
    else:
        parts = [raw]
    try:
        days = sorted({int(p) for p in parts})
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Reminder days are whole numbers separated by commas, e.g. 2, 5."),
            field="reminder_days",
        ) from None
    low, high = REMINDER_DAYS_RANGE
    if len(days) > MAX_REMINDERS or any(not low <= d <= high for d in days):
        raise ValidationFailed(
            _("At most %(n)d reminders, each between %(low)d and %(high)d days.")
            % {"n": MAX_REMINDERS, "low": low, "high": high},
            field="reminder_days",
        )
    return days


def _check(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown setting: %(f)s") % {"f": ", ".join(sorted(unknown))})
    clean = dict(changes)
    for name, (low, high) in (
        ("dormant_after_days", DORMANT_AFTER_DAYS_RANGE),
        ("dormant_warning_days", DORMANT_WARNING_DAYS_RANGE),
    ):
        if name in clean:
            try:
                clean[name] = int(clean[name])
            except (TypeError, ValueError):
                clean[name] = -1
            if not low <= clean[name] <= high:
                raise ValidationFailed(
                    _("Choose a number of days between %(low)d and %(high)d.")
                    % {"low": low, "high": high},
                    field=name,
                )
    for name in ("dormant_enabled", "reminders_enabled"):
        if name in clean:
            clean[name] = bool(clean[name])
    if "reminder_days" in clean:
        clean["reminder_days"] = parse_reminder_days(clean["reminder_days"])
    return clean


def lifecycle_policy_update(
    *, actor: Actor | Member, organization: Organization, **changes: Any
) -> LifecyclePolicy:
    """Change the organization's lifecycle policies (owner and admins), audited."""
    actor = as_actor(actor)
    authorize(actor, Cap.ORG_SETTINGS, organization)
    clean = _check(changes)
    with transaction.atomic():
        policy, _created = LifecyclePolicy.objects.select_for_update().get_or_create(
            organization=organization
        )
        merged = {k: getattr(policy, k) for k in POLICY_FIELDS} | clean
        if merged["dormant_warning_days"] >= merged["dormant_after_days"]:
            raise ValidationFailed(
                _("The warning must come before the deactivation: fewer days than the delay."),
                field="dormant_warning_days",
            )
        before = {k: getattr(policy, k) for k in clean}
        if before == clean:
            return policy
        for k, v in clean.items():
            setattr(policy, k, v)
        policy.updated_at = clock.now()
        policy.save()
        record(
            actor=actor,
            organization=organization,
            event=EventType.LIFECYCLE_UPDATED,
            target=organization,
            before=before,
            after=clean,
        )
    return policy
