"""Deleting accounts whose auto-deletion date has come (seed 002)."""

from __future__ import annotations

from equipage.accounts.models import Member
from equipage.core import clock
from equipage.core.housekeeping import periodic
from equipage.organizations.models import Organization
from equipage.permissions import Actor


@periodic
def delete_due_members() -> int:
    """Delete members whose ``auto_delete_on`` date is today or past; the owner never."""
    from equipage.accounts.actions import members_delete

    due = Member.objects.filter(auto_delete_on__lte=clock.today(), organization__isnull=False)
    total = 0
    for org_id in due.values_list("organization_id", flat=True).distinct():
        org = Organization.objects.get(pk=org_id)
        ids = list(due.filter(organization=org).values_list("pk", flat=True))
        result = members_delete(
            actor=Actor.system(org, "auto-deletion"), organization=org, members=ids
        )
        total += len(result.done)
    return total


@periodic
def forget_idle_login_counters() -> int:
    """Delete login-throttle counters whose failures are all forgiven."""
    from equipage.accounts.throttle import forget_idle_counters

    return forget_idle_counters()


@periodic
def purge_ended_console_sessions() -> int:
    """Delete the records of console sessions past their 12 hours or their idle limit."""
    from equipage.accounts.console_sessions import purge_expired_sessions

    return purge_expired_sessions()


@periodic
def purge_expired_email_changes() -> int:
    """Delete pending e-mail changes whose link expired: the new address is kept no longer."""
    from equipage.accounts.models import EmailChange

    deleted, _ = EmailChange.objects.filter(expires_at__lte=clock.now()).delete()
    return deleted


@periodic
def apply_dormant_accounts_policy() -> int:
    """Warn, then deactivate, dormant members where the organization asked for it (#19.5)."""
    from equipage.accounts.dormancy import apply_dormancy

    return apply_dormancy()
