"""How long an import still needs, told from two looks at its progress.

The page polls the progress every second and hands back, in the poll's URL, the first
look it had at the current phase (time and rows done): the rate since then gives the
time left, with no clock kept on the server.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def estimate(progress: Mapping[str, Any], query: Mapping[str, str]) -> dict[str, Any]:
    """Return the progress with ``percent``, ``seconds_left``, ``left`` (words) and ``since``.

    ``query`` holds the first look (``at``, ``done``, ``phase``) from the poll's URL.
    """
    now = time.time()
    phase = str(progress.get("phase") or "")
    done, total = int(progress.get("done") or 0), int(progress.get("total") or 0)
    try:
        since_at, since_done = float(query["at"]), int(query["done"])
        same = query.get("phase", "") == phase and since_at <= now and since_done <= done
    except (KeyError, ValueError):
        same = False
    if not same:
        since_at, since_done = now, done
    seconds_left: float | None = None
    if total and done > since_done and now - since_at >= 1:
        rate = (done - since_done) / (now - since_at)
        seconds_left = max(total - done, 0) / rate
    return {
        **progress,
        "percent": min(100, int(done * 100 / total)) if total else None,
        "seconds_left": seconds_left,
        "left": time_left(seconds_left),
        "since": urlencode({"at": f"{since_at:.3f}", "done": since_done, "phase": phase}),
    }


def time_left(seconds: float | None) -> str:
    """Word the time left: « about 3 minutes left », « less than a minute left »."""
    if seconds is None:
        return ""
    if seconds < 60:
        return _("less than a minute left")
    minutes = round(seconds / 60)
    if minutes < 120:
        return ngettext("about %(n)d minute left", "about %(n)d minutes left", minutes) % {
            "n": minutes
        }
    hours = round(minutes / 60)
    return ngettext("about %(n)d hour left", "about %(n)d hours left", hours) % {"n": hours}
