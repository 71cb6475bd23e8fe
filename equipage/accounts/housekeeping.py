"""Erasing accounts whose auto-deletion date has come (seed 002) or whose bin time is over."""

from __future__ import annotations

from datetime import timedelta

from equipage.accounts.models import Member, MemberRole, MemberState, Role
from equipage.core import clock
from equipage.core.housekeeping import periodic
from equipage.organizations.models import Organization

# Members erased per organization and round: one erasure is one transaction, kept short
# (each batch searches the organization's audit trail, outbox and logs for their names).
ERASE_BATCH = 100


# Due members read per round, across organizations (each then erased ERASE_BATCH at a time).
DUE_READ = 10 * ERASE_BATCH


@periodic
def delete_due_members() -> int:
    """Erase members whose ``auto_delete_on`` date is today or past; the owner never (an
    owner's date, set before the rule or by a transfer race, is cleared instead)."""
    from equipage.accounts.erasure import erase_members

    owners = MemberRole.objects.filter(role=Role.OWNER).values("member_id")
    Member.objects.filter(pk__in=owners, auto_delete_on__isnull=False).update(auto_delete_on=None)
    # Only the dates constrain this read: the partial index member_auto_delete_due serves it
    # whatever the planner knows of the organizations (a million members: 2 s → 1 ms).
    due = Member.objects.filter(auto_delete_on__isnull=False, auto_delete_on__lte=clock.today())
    by_org: dict[int, list[int]] = {}
    for org_id, pk in due.values_list("organization_id", "pk")[:DUE_READ]:
        if org_id is not None:  # an operator's date is no tenant's business
            by_org.setdefault(org_id, []).append(pk)
    total = 0
    for org in Organization.objects.filter(pk__in=list(by_org)):
        total += len(erase_members(org, by_org[org.pk][:ERASE_BATCH]))
    return total


@periodic
def empty_bins() -> int:
    """Erase the members whose time in their organization's bin is over."""
    from equipage.accounts.erasure import erase_members

    now = clock.now()
    # The organizations with a bin, from the partial index member_binned_since alone.
    with_bins = Member.objects.filter(binned_at__isnull=False).values("organization_id")
    binned = Member.objects.filter(binned_at__isnull=False, state=MemberState.BINNED)
    total = 0
    for org in Organization.objects.filter(pk__in=with_bins):
        due = binned.filter(organization=org, binned_at__lte=now - timedelta(days=org.bin_days))
        ids = list(due.order_by("binned_at").values_list("pk", flat=True)[:ERASE_BATCH])
        total += len(erase_members(org, ids))
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
