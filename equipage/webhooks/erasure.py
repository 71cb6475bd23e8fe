"""What erasing a member cleans in webhook delivery logs (registered in ``accounts.erasure``).

A delivery keeps its row (event, dates, status: what was sent when), its
payload with the member's identifiers replaced by their pseudonym.
"""

from __future__ import annotations

from equipage.core.erasure import Erasure, scrub_matching, scrubber
from equipage.webhooks.models import WebhookDelivery


@scrubber
def scrub_webhook_deliveries(erasure: Erasure) -> int:
    return scrub_matching(
        erasure,
        WebhookDelivery.objects.filter(organization=erasure.organization),
        ["payload", "last_error"],
    )
