"""The set-password page asks a nameless account for its names (SPEC §1: owners with names)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.organizations.actions import organization_create

PASSWORD = {"new_password1": "Owner-chose-2026", "new_password2": "Owner-chose-2026"}


def english() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def nameless_owner(operator: Any) -> tuple[Any, str]:
    created = organization_create(
        actor=operator, slug="initech", name="Initech", owner_email="boss@initech.test"
    )
    return created.owner, created.set_password_link.removeprefix("http://testserver")


def test_org_create_without_names_leaves_them_empty_for_the_owner_to_give(
    db: Any, operator: Any
) -> None:
    owner, _path = nameless_owner(operator)
    assert (owner.first_name, owner.last_name) == ("", "")


def test_set_password_page_refuses_to_set_up_a_nameless_account(db: Any, operator: Any) -> None:
    owner, path = nameless_owner(operator)
    r = english().post(path, PASSWORD)
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="id_first_name"' in body and "This field is required." in body
    assert not Member.objects.get(pk=owner.pk).has_usable_password()
    assert Client().get(path).status_code == 200  # the link is not spent


def test_owner_gives_names_and_password_on_the_set_password_page(db: Any, operator: Any) -> None:
    owner, path = nameless_owner(operator)
    r = Client().post(path, {"first_name": " Bill ", "last_name": "Lumbergh", **PASSWORD})
    assert r.status_code == 302
    owner = Member.objects.get(pk=owner.pk)
    assert (owner.first_name, owner.last_name) == ("Bill", "Lumbergh")
    assert owner.check_password(PASSWORD["new_password1"])
    assert "bill" in owner.search_text
    event = AuditEvent.objects.get(member=owner, event_type="member.updated")
    assert event.after == {"first_name": "Bill", "last_name": "Lumbergh"}


def test_named_account_is_not_asked_again(org: Any, owner: Any) -> None:
    from django.db import transaction

    from equipage.accounts.actions.passwords import send_set_password_link

    with transaction.atomic():
        path = send_set_password_link(owner).removeprefix("http://testserver")
    body = Client().get(path).content.decode()
    assert 'name="first_name"' not in body and 'name="new_password1"' in body
    assert Client().post(path, PASSWORD).status_code == 302
    owner.refresh_from_db()
    assert (owner.first_name, owner.last_name) == ("Olivia", "Owner")


def test_names_of_control_characters_are_refused(db: Any, operator: Any) -> None:
    _owner, path = nameless_owner(operator)
    r = english().post(path, {"first_name": "Bill\u0007", "last_name": "L", **PASSWORD})
    assert r.status_code == 200 and "invisible control characters" in r.content.decode()
