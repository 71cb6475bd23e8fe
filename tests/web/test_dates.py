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


def test_the_directory_writes_the_last_login_in_the_viewers_locale(
    login_as: Any, org: Any, admin: Any
) -> None:
    """The « Dernière connexion » column: 03/12/2026 in French, not 2026-12-03."""
    import datetime as dt
    import re

    from equipage.accounts.models import Member

    when = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
    for language, written in (("fr", "04/03/2026"), ("en", "03/04/2026")):
        client = login_as(admin)  # logging in sets the last login: set it afterwards
        Member.objects.filter(pk=admin.pk).update(last_login=when)
        client.cookies["django_language"] = language
        body = client.get("/o/acme/members").content.decode()
        cells = re.findall(r"<td class=\"c-last\">([^<]*)</td>", body)
        assert written in cells, (language, cells)
        assert "2026-03-04" not in body
