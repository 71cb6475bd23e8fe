"""Django's database sessions, read with a prepared statement (``core.prepared``, #20).

Every console request reads its session: through the ORM that read was about a
millisecond of Python for a 0.1 ms lookup by primary key. The store is Django's
own in every other respect (writes, expiry, cycling keys, ``clearsessions``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from equipage.core.prepared import Prepared

_SESSION = Prepared(
    lambda key: Session.objects.filter(session_key=key).values_list("session_data", "expire_date"),
    "\x00session-key",
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        found = _SESSION.first(key) if key is not None else None
        if key is None or found is None or found[1] <= timezone.now():
            self._session_key = None
            return None
        data, expire_date = found
        return self.model(session_key=key, session_data=data, expire_date=expire_date)


__all__ = ["Session", "SessionStore"]
