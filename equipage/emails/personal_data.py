"""The outbox's part of a member's own data: the mails sent to them and what became of them.

Subjects and delivery facts only: a body may hold a set-password or
invitation link that still works.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from equipage.core.personal_data import MAX_ROWS, personal_data
from equipage.emails.models import OutboundEmail

if TYPE_CHECKING:
    from equipage.accounts.models import Member


@personal_data("mails")
def mails(member: Member) -> Iterator[Any]:
    rows = OutboundEmail.objects.filter(member=member).order_by("-created_at", "-id")
    yield from rows.values(
        "kind",
        "to",
        "subject",
        "language",
        "status",
        "created_at",
        "sent_at",
        "delivery_status",
        "delivery_at",
    )[: MAX_ROWS + 1].iterator()
