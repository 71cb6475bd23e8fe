"""An ownership transfer, told to each of the two people in their own words; its mail."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_the_owner_sees_what_they_offered_and_the_admin_sees_the_offer_and_gets_a_mail(
    login_as: Any, org: Any, owner: Any, admin: Any
) -> None:
    from equipage.accounts.actions.ownership import ownership_transfer_start
    from equipage.emails.models import OutboundEmail

    ownership_transfer_start(actor=owner, to_member=admin)
    mine = login_as(owner).get("/o/acme/me/").content.decode()
    assert "You offered the ownership of the organization to Adam Admin" in mine
    assert "offered you" not in mine and "offers you" not in mine
    theirs = login_as(admin).get("/o/acme/", follow=True).content.decode()  # their home page
    assert "Olivia Owner offered you the ownership of the organization" in theirs
    assert "Accept or decline" in theirs
    mail = OutboundEmail.objects.get(kind="ownership_transfer")
    assert mail.to == admin.email and "/o/acme/ownership/" in mail.body_text


def test_the_transfer_page_speaks_to_the_owner_as_the_one_who_offered(
    login_as: Any, org: Any, owner: Any, admin: Any
) -> None:
    from equipage.accounts.actions.ownership import ownership_transfer_start

    transfer = ownership_transfer_start(actor=owner, to_member=admin)
    client = login_as(owner)
    client.cookies["django_language"] = "fr"
    page = client.get(f"/o/acme/ownership/{transfer.pk}/").content.decode()
    assert "Vous avez proposé la propriété de l’organisation à Adam Admin" in page
    assert "vous propose" not in page


def test_a_stranger_sees_no_offer(
    login_as: Any, org: Any, owner: Any, admin: Any, member: Any
) -> None:
    from equipage.accounts.actions.ownership import ownership_transfer_start

    ownership_transfer_start(actor=owner, to_member=admin)
    assert "ownership" not in login_as(member).get("/o/acme/me/").content.decode().lower()


def test_the_french_mail_subject_elides_before_a_vowel(operator: Any, db: Any) -> None:
    from equipage.accounts.actions.ownership import ownership_transfer_start
    from equipage.accounts.selectors import owner_of
    from equipage.emails.models import OutboundEmail
    from equipage.organizations.actions import organization_create
    from tests.conftest import make_member

    created = organization_create(
        actor=operator,
        slug="atelier",
        name="Atelier Boréal",
        owner_email="claire@atelier.test",
        owner_first_name="Claire",
        owner_last_name="Fontaine",
        language="fr",
    )
    owner = owner_of(created.organization)
    mael = make_member(
        created.organization, owner, "Maël", "Le Goff", roles=["admin"], email="mael@atelier.test"
    )
    ownership_transfer_start(actor=owner, to_member=mael)
    mail = OutboundEmail.objects.get(kind="ownership_transfer")
    assert "d’Atelier Boréal" in mail.subject and "de Atelier" not in mail.subject
