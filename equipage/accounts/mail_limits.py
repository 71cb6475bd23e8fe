"""Hourly limits on password mails, per mailbox and per client address (issue #13.5).

Counters live in Django's cache (shared by every node when the cache is the
database's): a fixed one-hour window from the first hit. Going over a limit
changes nothing the asker can see: the reset page answers the same.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from equipage.core.errors import DomainError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


class TooManyMails(DomainError):
    """This mailbox already got as many password mails as allowed this hour."""

    code = "rate_limited"
    status = 429


def _within(key: str, limit: int) -> bool:
    """Count one more hit on ``key``; tell whether it is still within ``limit`` this hour."""
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        hits = 1
    return hits <= limit


def mailbox_allows(email: str) -> bool:
    """Count a password mail to ``email``; False once the hourly limit is reached."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    allowed = _within(
        f"equipage:password-mail:to:{digest}", settings.EQUIPAGE_PASSWORD_MAILS_PER_ADDRESS
    )
    if not allowed:
        log.warning("password mail to one address refused: hourly limit reached")
    return allowed


def client_allows(ip: str) -> bool:
    """Count a reset request from client address ``ip``; False once the hourly limit is reached."""
    allowed = _within(
        f"equipage:password-reset:from:{ip or 'unknown'}",
        settings.EQUIPAGE_PASSWORD_RESETS_PER_CLIENT,
    )
    if not allowed:
        log.warning("password reset request from %s refused: hourly limit reached", ip or "?")
    return allowed


def member_link_allows(member_id: int) -> bool:
    """Count an admin-sent password link to member ``member_id``; False past the hourly limit.

    Per member, whoever sends it and from whichever node (the cache is shared):
    a coordinator clicking the arrows again and again, or a script looping on the
    API, cannot flood one person's mailbox nor churn their links.
    """
    allowed = _within(
        f"equipage:password-link:member:{member_id}",
        settings.EQUIPAGE_PASSWORD_LINKS_PER_MEMBER,
    )
    if not allowed:
        log.warning("password link to member %s refused: hourly limit reached", member_id)
    return allowed


def too_many_links() -> TooManyMails:
    """Return the refusal of one more password link to a member this hour (429 in the API)."""
    n = settings.EQUIPAGE_PASSWORD_LINKS_PER_MEMBER
    return TooManyMails(
        ngettext(
            "This member was already sent %(n)d password link this hour; the latest one "
            "still works. Try again later.",
            "This member was already sent %(n)d password links this hour; the latest one "
            "still works. Try again later.",
            n,
        )
        % {"n": n}
    )


def too_many_mails() -> TooManyMails:
    """Return the refusal of one more password mail to an address this hour (429 in the API)."""
    return TooManyMails(
        _("This address already got several password e-mails this hour; try again later.")
    )
