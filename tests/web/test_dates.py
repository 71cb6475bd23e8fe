"""Dates are written the viewer's way: 03/12/2026 for a French reader, 12/03/2026 in English."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import formats, timezone, translation

pytestmark = pytest.mark.django_db


def test_the_invitations_list_writes_dates_in_the_viewers_locale(
    login_as: Any, org: Any, admin: Any
) -> None:
    from equipage.invitations.actions import invitations_create
    from equipage.invitations.models import Invitation

    invitations_create(actor=admin, organization=org, emails="lea@acme.test")
    expires = Invitation.objects.get().expires_at
    for language in ("fr", "en"):
        client = login_as(admin)
        client.cookies["django_language"] = language
        with translation.override(language):
            written = formats.date_format(timezone.localtime(expires), "SHORT_DATETIME_FORMAT")
        body = client.get("/o/acme/invitations/").content.decode()
        assert written in body, (language, written)
    with translation.override("fr"):
        fr = formats.date_format(expires, "SHORT_DATE_FORMAT")
    with translation.override("en"):
        en = formats.date_format(expires, "SHORT_DATE_FORMAT")
    assert fr != en  # the two readers do see different writings
