"""What erasing a member cleans in the outbox (registered in ``accounts.erasure``).

Mails sent to them keep their row (kind, dates, delivery facts: what was sent
when), addressed to the pseudonym and with their bodies emptied (a body holds
links, a temporary password, their name). Mails not yet sent to them are
dropped. Any other mail quoting them (an ownership offer naming them) loses the quote.
"""

from __future__ import annotations

from django.db.models import Q

from equipage.core.erasure import Erasure, declare_link, scrub_matching, scrubber
from equipage.emails.models import MailStatus, OutboundEmail


@scrubber
def scrub_outbox(erasure: Erasure) -> int:
    org = erasure.organization
    for m in erasure.members:
        theirs = OutboundEmail.objects.filter(organization=org).filter(
            Q(member_id=m.pk) | Q(to__in=[s for s in m.strong if "@" in s])
        )
        theirs.filter(status=MailStatus.QUEUED).delete()
        theirs.update(to=m.pseudonym, subject="", body_text="", body_html="", last_error="")
    return scrub_matching(
        erasure,
        OutboundEmail.objects.filter(organization=org),
        ["to", "subject", "body_text", "body_html", "last_error"],
    )


declare_link(
    "emails.OutboundEmail", "member", "to", "subject", "body_text", "body_html", "last_error"
)
