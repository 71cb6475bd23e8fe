"""A browser's user agent told in a few words ("Firefox on Windows") for the sessions list.

No library: the list only has to let a member recognise their own devices, and
a short table of the browsers and systems people use does that. Order matters:
Edge and Opera claim to be Chrome, Chrome claims to be Safari, Android claims
to be Linux. The names are stored untranslated; ``device_label`` words them in
the reader's language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Vivaldi/", "Vivaldi"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def _first(user_agent: str, table: tuple[tuple[str, str], ...]) -> str:
    return next((name for mark, name in table if mark in user_agent), "")


def parse_user_agent(user_agent: str) -> tuple[str, str]:
    """Return ``(browser, system)`` named from ``user_agent``, each empty when unknown."""
    return _first(user_agent, _BROWSERS), _first(user_agent, _SYSTEMS)


def device_label(browser: str, system: str) -> str:
    """Return "Firefox on Windows", one of the two names, or "Unknown device"."""
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown device")
