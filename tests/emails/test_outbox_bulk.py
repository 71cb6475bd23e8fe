"""Bulk set-password mails (an import's): the same mails as one at a time, rendered once."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.test import Client

from equipage.accounts.actions.passwords import send_set_password_links
from equipage.emails.models import MailKind, OutboundEmail
from equipage.emails.outbox import render_mail
from tests.conftest import make_member


def test_bulk_links_are_the_mails_queue_mail_would_write(org: Any, owner: Any) -> None:
    members = [
        make_member(org, owner, "Zoé & <Léa>", 'O\'Hara "Jr"', email="zoe@acme.test"),
        make_member(org, owner, "Élodie", "Œuvray", email="elodie@acme.test", language="fr"),
        make_member(org, owner, "Sam", "Smith", email="sam@acme.test", language="en"),
    ]
    with transaction.atomic():
        send_set_password_links(org, members)
    for member in members:
        mail = OutboundEmail.objects.get(member=member, kind=MailKind.SET_PASSWORD)
        link = (
            "http://testserver/o/acme/password/set/"
            + mail.body_text.split("/password/set/")[1].split("/")[0]
            + "/"
        )
        expected = render_mail(
            MailKind.SET_PASSWORD,
            member.effective_language(),
            {
                "organization": org,
                "member": member,
                "base_url": "http://testserver",
                "link": link,
                "days": 7,
            },
        )
        assert (mail.subject, mail.body_text, mail.body_html) == expected
        assert mail.to == member.email and mail.language == member.effective_language()
        assert Client().get(link.removeprefix("http://testserver")).status_code == 200
    assert "&lt;Léa&gt;" in OutboundEmail.objects.get(member=members[0]).body_html


def test_bulk_link_voids_an_older_link(org: Any, owner: Any, member: Any) -> None:
    from equipage.accounts.actions.passwords import send_set_password_link

    with transaction.atomic():
        older = send_set_password_link(member).removeprefix("http://testserver")
        send_set_password_links(org, [member])
    assert Client().get(older).status_code == 410
