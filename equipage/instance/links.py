"""The base URL of every link Equipage writes (mails, printed set-password links).

The rule (SPEC §9 ``EQUIPAGE_BASE_URL``): the variable when it is set; else
the address the latest ``equipage serve`` started on this database listens
on, so that ``equipage org create`` run beside ``serve --port 9000`` prints a
link that opens; else ``settings.EQUIPAGE_BASE_URL`` (``http://127.0.0.1:8000``).
"""

from __future__ import annotations

from django.conf import settings

from equipage.core import clock
from equipage.instance.models import ListeningAddress


def base_url() -> str:
    """Return the URL links start with, without a trailing slash."""
    if settings.EQUIPAGE_BASE_URL_FIXED:
        return str(settings.EQUIPAGE_BASE_URL)
    recorded = (
        ListeningAddress.objects.order_by("-started_at", "-pk")
        .values_list("url", flat=True)
        .first()
    )
    return (recorded or str(settings.EQUIPAGE_BASE_URL)).rstrip("/")


def listening_address_record(url: str) -> None:
    """Record that a ``serve`` now listens on ``url`` (called by ``serve`` when it starts)."""
    ListeningAddress.objects.update_or_create(
        url=url.rstrip("/"), defaults={"started_at": clock.now()}
    )
