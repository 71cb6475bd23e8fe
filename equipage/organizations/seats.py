"""The seat invariant: active accounts + pending invitations never exceed the paid seats."""

from __future__ import annotations

from django.utils.translation import ngettext

from equipage.core.errors import SeatLimitExceeded
from equipage.organizations.models import Organization
from equipage.organizations.selectors import seat_usage


def lock_organization(organization_id: int) -> Organization:
    """Lock the organization row for the rest of the transaction and return it fresh.

    Every action that changes seats or the owner locks this row first, so two
    concurrent admins are serialised (PostgreSQL ``FOR UPDATE``; SQLite runs
    write transactions one at a time in ``IMMEDIATE`` mode).
    """
    return Organization.objects.select_for_update().get(pk=organization_id)


def ensure_seats(organization: Organization, additional: int) -> None:
    """Raise ``SeatLimitExceeded`` when ``additional`` more seats would exceed the paid count."""
    if additional <= 0 or organization.seats is None:
        return
    usage = seat_usage(organization)
    if usage.used + additional > organization.seats:
        raise SeatLimitExceeded(
            ngettext(
                "Not enough seats: this needs %(needed)d more seat (%(used)d of %(paid)d "
                "seats in use). Free seats first or ask for more seats.",
                "Not enough seats: this needs %(needed)d more seats (%(used)d of %(paid)d "
                "seats in use). Free seats first or ask for more seats.",
                additional,
            )
            % {"used": usage.used, "paid": organization.seats, "needed": additional}
        )
