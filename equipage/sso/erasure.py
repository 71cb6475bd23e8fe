"""What erasing a member cleans for single sign-on (registered in ``SsoConfig.ready``).

Their links go with the member row (the key cascades). A refused sign-in
audited before (``sso.login_refused``) names the identity the provider gave:
its e-mail, found by the generic search, or — when the provider gave none —
its subject, which only the member's link ties to them: replaced here by the
member's pseudonym, while the links still exist (scrubbers run before the rows go).
"""

from __future__ import annotations

from equipage.audit.events import EventType
from equipage.audit.models import AuditEvent
from equipage.core.erasure import Erasure, scrubber
from equipage.sso.models import SsoLink


@scrubber
def scrub_refused_subjects(erasure: Erasure) -> int:
    """Put the pseudonym in place of the members' provider subjects in refused sign-ins."""
    count = 0
    links = SsoLink.objects.filter(
        organization_id=erasure.organization.pk, member_id__in=erasure.ids
    ).values_list("member_id", "subject")
    for member_id, subject in links:
        erased = erasure.by_pk(member_id)
        if erased is None or not subject:
            continue
        count += AuditEvent.objects.filter(
            organization_id=erasure.organization.pk,
            event_type=EventType.SSO_LOGIN_REFUSED,
            target_label=subject[:300],
        ).update(target_label=erased.pseudonym)
    return count
