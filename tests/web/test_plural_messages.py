"""The mails' « expires in N days / hours » and the seat refusal agree with their number."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation

ORG = SimpleNamespace(name="Atelier Boréal")
MEMBER = SimpleNamespace(first_name="Maël", login="mael")


@pytest.mark.parametrize(
    ("template", "count", "lang", "words"),
    [
        ("invitation", {"days": 1}, "fr", "expire dans 1 jour)"),
        ("invitation", {"days": 7}, "fr", "expire dans 7 jours)"),
        ("invitation", {"days": 1}, "en", "expires in 1 day)"),
        ("invitation", {"days": 7}, "en", "expires in 7 days)"),
        ("password_reset", {"hours": 1}, "fr", "expire dans 1 heure)"),
        ("password_reset", {"hours": 2}, "fr", "expire dans 2 heures)"),
        ("password_reset", {"hours": 1}, "en", "expires in 1 hour)"),
        ("set_password", {"days": 1}, "fr", "expire dans 1 jour)"),
        ("set_password", {"days": 3}, "en", "expires in 3 days)"),
    ],
)
def test_mail_expiry_is_singular_for_one_and_plural_above(
    template: str, count: dict[str, int], lang: str, words: str
) -> None:
    context = {"organization": ORG, "member": MEMBER, "inviter": "Claire", "link": "https://x/"}
    with translation.override(lang):
        for suffix in ("txt", "html"):
            text = render_to_string(f"emails/{template}.{suffix}", {**context, **count})
            assert words in text, (suffix, text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", "il faut 1 siège de plus (occupés : 2 sur 2)"),
        ("en", "this needs 1 more seat (2 of 2 seats in use)"),
    ],
)
def test_the_seat_refusal_counts_one_seat_in_the_singular(
    org: Any, owner: Any, admin: Any, lang: str, words: str
) -> None:
    from equipage.core.errors import SeatLimitExceeded
    from equipage.organizations.seats import ensure_seats

    org.seats = 2
    org.save(update_fields=["seats"])
    with translation.override(lang), pytest.raises(SeatLimitExceeded) as refused:
        ensure_seats(org, 1)
    assert words in str(refused.value)
    with translation.override(lang), pytest.raises(SeatLimitExceeded) as refused:
        ensure_seats(org, 3)
    assert ("3 sièges de plus" if lang == "fr" else "3 more seats") in str(refused.value)
