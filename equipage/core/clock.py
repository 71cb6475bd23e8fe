"""The one clock of the application, so that tests can move time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

_now: Callable[[], dt.datetime] = timezone.now


def now() -> dt.datetime:
    """Return the current aware datetime (moved by tests through ``set_clock``)."""
    return _now()


def today() -> dt.date:
    """Return today's date in the active time zone."""
    return timezone.localdate(now())


def set_clock(fn: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock (``None`` restores the real one); for tests and demos."""
    global _now
    _now = fn or timezone.now
