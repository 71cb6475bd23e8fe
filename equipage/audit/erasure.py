"""What erasing a member cleans in the audit trail (registered in ``accounts.erasure``).

Rows the member did or underwent keep their place in the trail, under the
member's pseudonym: the actor and target labels become it, the origin (their
address and browser) goes. Any other row quoting them (a bulk event naming
them, another member's change mentioning their address) loses the quote.
"""

from __future__ import annotations

from equipage.audit.models import AuditEvent
from equipage.core.erasure import Erasure, declare_link, scrub_matching, scrubber


@scrubber
def scrub_audit_trail(erasure: Erasure) -> int:
    """Put the pseudonym in the labels of the members' events, and clean every quote."""
    org = erasure.organization
    for m in erasure.members:
        AuditEvent.objects.filter(actor_id=m.pk).update(actor_label=m.pseudonym, origin={})
        AuditEvent.objects.filter(member_id=m.pk).update(target_label=m.pseudonym)
        AuditEvent.objects.filter(
            organization=org, target_type="member", target_id=str(m.pk)
        ).update(target_label=m.pseudonym)
    return scrub_matching(
        erasure,
        AuditEvent.objects.filter(organization=org),
        ["actor_label", "target_label", "before", "after"],
    )


declare_link("audit.AuditEvent", "member", "target_label", "before", "after")
declare_link("audit.AuditEvent", "actor", "actor_label", "before", "after", owned=False)
