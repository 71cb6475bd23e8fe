"""Erasing members: their personal data removed everywhere, the trail kept under a pseudonym.

SPEC §1: on the auto-deletion date (and when the bin's period ends,
``accounts.bin``) "personal data erased, audit trail kept with a pseudonym".
``erase_members`` is the one routine that does it, whoever asks:

1. every table that points at the member with a key that outlives them
   (``SET_NULL``/``DO_NOTHING``: the audit trail, the outbox, import jobs, and any
   table added later) has the member's identifiers replaced in its text and JSON
   columns, on the rows that point at them — found from the models' own keys,
   so a new table is covered without touching this module;
2. every registered scrubber (``core.erasure.scrubber``, registered by each app
   when its AppConfig is ready) cleans what no key ties to the member: an address or a
   name quoted in another row (another member's mail, a webhook payload, an
   import report);
3. the member row is deleted: its cascade takes roles, memberships, labels,
   custom values, password links, invitations, transfers and any table added
   later with a CASCADE key (sessions, devices, identities).

The pseudonym (« Membre effacé #3f9a2c1b ») is the same in every row for one
member, so the trail can be followed; it is derived from the site's secret, the
organization and the member's id, and from nothing personal.

Why the row goes rather than staying as a tombstone: a tombstone is a row every
query (directory, seats, exports, SCIM, login, uniqueness of logins and
addresses) would have to exclude forever; what is left to count with is the
``member.erased`` audit event written for each one, and the pseudonymous trail.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from equipage.accounts.models import Member
from equipage.core.erasure import (
    SCRUBBERS,
    ErasedMember,
    Erasure,
    declare_link,
    scrub_linked_rows,
    scrub_matching,
    scrubber,
)
from equipage.core.idlist import id_list
from equipage.organizations.models import Organization

# The member's columns the erasure looks for elsewhere (``core.erasure.ErasedMember``).
IDENTIFIERS = ("login", "email", "phone", "external_id", "first_name", "last_name", "job_title")


def pseudonym(organization_id: int, member_id: int, language: str = "fr") -> str:
    """Return the member's pseudonym: the same for one member wherever it is written."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"erased:{organization_id}:{member_id}".encode(), "sha256"
    ).hexdigest()[:8]
    with translation.override(language or "fr"):
        return _("Erased member #%(hash)s") % {"hash": digest}


def _erased(
    member: Member, org: Organization, former: Iterable[tuple[str, str]] = ()
) -> ErasedMember:
    return ErasedMember(
        pk=member.pk,
        pseudonym=pseudonym(org.pk, member.pk, org.language),
        former=tuple(sorted(former)),
        **{name: str(getattr(member, name) or "").strip() for name in IDENTIFIERS},
    )


# Identifiers another member may hold: a former value now someone else's is not searched for.
_UNIQUE_IDENTIFIERS = ("login", "email", "phone", "external_id")


def former_identifiers(organization: Organization, members: list[Member]) -> dict[int, set[Any]]:
    """Return, per member, the (column, value) pairs they held before: an address changed
    (verified, by an admin, SCIM, an import), a former login or name, an address they
    asked to move to. Read from their own audit trail (the ``before`` and ``after``
    of the events about them) and their pending e-mail change.

    A value that another member of the organization holds today is left out: it is
    theirs now, and searching for it would erase their data.
    """
    from equipage.accounts.models import EmailChange
    from equipage.audit.models import AuditEvent

    current = {m.pk: {(n, str(getattr(m, n) or "").strip()) for n in IDENTIFIERS} for m in members}
    found: dict[int, set[Any]] = {pk: set() for pk in current}
    events = AuditEvent.objects.filter(
        organization=organization, member_id__in=id_list(list(current))
    ).values_list("member_id", "before", "after")
    for member_id, *snapshots in events.iterator(chunk_size=1000):
        for snapshot in snapshots:
            if not isinstance(snapshot, dict):
                continue
            for name in IDENTIFIERS:
                value = snapshot.get(name)
                if isinstance(value, str) and value.strip():
                    found[member_id].add((name, value.strip()))
    for member_id, new_email in EmailChange.objects.filter(member_id__in=list(current)).values_list(
        "member_id", "new_email"
    ):
        found[member_id].add(("email", new_email.strip()))
    for pk in found:
        found[pk] -= current[pk]
    held = _held_by_others(organization, found)
    return {
        pk: {p for p in pairs if (p[0], p[1].casefold()) not in held} for pk, pairs in found.items()
    }


def _held_by_others(organization: Organization, found: dict[int, set[Any]]) -> set[tuple[str, str]]:
    """Return the (column, casefolded value) of ``found`` that a member not erased holds."""
    held: set[tuple[str, str]] = set()
    others = Member.objects.filter(organization=organization).exclude(pk__in=id_list(list(found)))
    for name in _UNIQUE_IDENTIFIERS:
        values = sorted({v for pairs in found.values() for n, v in pairs if n == name})
        # A few hundred conditions per query: SQLite parses a chain of ORs as a tree.
        for start in range(0, len(values), 200):
            q = Q(pk__in=[])
            for v in values[start : start + 200]:
                q |= Q(**{f"{name}__iexact": v})
            rows = others.filter(q).values_list(name, flat=True)
            held |= {(name, str(v).casefold()) for v in rows}
    return held


def erase_members(organization: Organization, member_ids: Iterable[int]) -> list[str]:
    """Erase these members of ``organization``; return their pseudonyms.

    One transaction per call: either every trace is cleaned and the rows gone,
    or nothing changed (housekeeping tries again on its next round).
    """
    from equipage.audit.events import EventType
    from equipage.audit.record import Entry, record_many
    from equipage.permissions import Actor

    ids = list(member_ids)
    if not ids:
        return []
    with transaction.atomic():
        members = list(Member.objects.filter(organization=organization, pk__in=ids))
        if not members:
            return []
        former = former_identifiers(organization, members)
        erasure = Erasure(organization, [_erased(m, organization, former[m.pk]) for m in members])
        scrub_linked_rows(erasure)
        for fn in SCRUBBERS:
            fn(erasure)
        Member.objects.filter(pk__in=erasure.ids).delete()
        record_many(
            actor=Actor.system(organization, "erasure"),
            organization=organization,
            entries=[
                Entry(
                    EventType.MEMBER_ERASED,
                    target_label=m.pseudonym,
                    after={"member_id": m.pk, "pseudonym": m.pseudonym},
                )
                for m in erasure.members
            ],
        )
    return [m.pseudonym for m in erasure.members]


@scrubber
def scrub_task_results(erasure: Erasure) -> int:
    """Clean the background tasks' stored arguments and results (a password reset is queued
    with the identifier typed)."""
    from django.apps import apps

    if not apps.is_installed("django_tasks_database"):
        return 0
    model = apps.get_model("django_tasks_database", "DBTaskResult")
    return scrub_matching(erasure, model._base_manager.all(), ["args_kwargs", "return_value"])


# Who invited someone and who made a token are kept as the pseudonym; the invitee's own
# address in an invitation is someone else's data and stays.
declare_link("invitations.Invitation", "invited_by", "invited_by_label", owned=False)
declare_link("tokens.ApiToken", "created_by", "created_by_label", owned=False)
