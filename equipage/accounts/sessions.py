"""Console sessions end after the organization's idle time, and 12 hours after login at most.

They also end when their record is deleted (``accounts.console_sessions``):
signed out from the profile, by an administrator, or after a password change.

The session keeps two stamps: when this login's first request came and when the
member was last seen. "Last seen" is written at most once a minute, so browsing
does not turn every request into a session write; the organization's limit is
read only once the member has been idle for the shortest allowed limit (30 min),
so an active member costs no query either.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from equipage.core import clock
from equipage.organizations.models import SESSION_IDLE_MINUTES_DEFAULT, SESSION_IDLE_MINUTES_MIN

log = logging.getLogger("equipage.sessions")

STARTED = "equipage.started"  # epoch seconds of the first request of this login
SEEN = "equipage.seen"  # epoch seconds of the last activity, to the minute
SEEN_RESOLUTION = 60


def idle_limit_minutes(organization_id: int | None) -> int:
    """Return the organization's idle session timeout, in minutes."""
    from equipage.organizations.models import Organization

    minutes = (
        Organization.objects.filter(pk=organization_id or 0)
        .values_list("session_idle_minutes", flat=True)
        .first()
    )
    return int(minutes or SESSION_IDLE_MINUTES_DEFAULT)


def session_end_reason(session: SessionBase, organization_id: int | None) -> str | None:
    """Return why this authenticated session is over ("idle", "absolute"), or None.

    Stamps a fresh login and moves "last seen" forward at most once a minute.
    """
    now = clock.now()
    stamp = int(now.timestamp())
    started, seen = session.get(STARTED), session.get(SEEN)
    if started is None or seen is None:
        session[STARTED] = session[SEEN] = stamp
        # Saving "last seen" must not push the expiry: pin it to the login's 12 hours. The
        # session store counts in real time (a timedelta), whatever the application clock.
        session.set_expiry(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE))
        return None
    if stamp - started >= settings.SESSION_COOKIE_AGE:
        return "absolute"
    idle = stamp - seen
    if idle >= SESSION_IDLE_MINUTES_MIN * 60 and idle >= idle_limit_minutes(organization_id) * 60:
        return "idle"
    if idle >= SEEN_RESOLUTION:
        session[SEEN] = stamp
    return None


class IdleSessionMiddleware:
    """Log out a member whose session is idle too long or older than 12 hours.

    The request then goes on anonymous: the page sends them to their login
    page, which says why.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            seen = session.get(SEEN)
            reason = session_end_reason(session, getattr(user, "organization_id", None))
            if reason is None and getattr(user, "organization_id", None) is not None:
                from equipage.accounts.console_sessions import record_alive

                moved = session.get(SEEN) != seen
                if not record_alive(request, user, seen_moved=moved, started=session.get(STARTED)):
                    reason = "signed_out"
            if reason is not None:
                self._end(request, user.pk, reason)
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, member_id: int, reason: str) -> None:
        from equipage.accounts.console_sessions import forget_current

        log.info("session of member %s ended (%s)", member_id, reason)
        forget_current(request.session, member_id)
        auth.logout(request)
        messages.info(request, _END_MESSAGES[reason]())


_END_MESSAGES: dict[str, Callable[[], str]] = {
    "idle": lambda: _("Your session ended after a period without activity; please log in again."),
    "absolute": lambda: _("Your session has reached its maximum length; please log in again."),
    "signed_out": lambda: _("This session was signed out; please log in again."),
}
