"""The mark of a session opened by the organization's identity provider.

The provider answered for the person, its own second factor included: the
password-change page is not forced on such a session, and ``equipage.twofactor``
may read ``authenticated_by_sso`` to skip Equipage's own second factor.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase

from equipage.core import clock

SSO_SESSION = "equipage.sso.session"  # {"issuer": ..., "at": ISO time of the login}


def mark_sso_session(session: SessionBase, issuer: str) -> None:
    """Note, after ``auth.login``, that the provider opened this session."""
    session[SSO_SESSION] = {"issuer": issuer, "at": clock.now().isoformat()}


def authenticated_by_sso(session: SessionBase) -> bool:
    """Tell whether this session was opened through the organization's provider."""
    return bool(session.get(SSO_SESSION))
