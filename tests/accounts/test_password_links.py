"""Set and reset links die the moment what they protect changes (issue #13.4).

Each test replays an attack: a link from before a password change, a link
mailed to an address the member gave up, a link from before a deactivation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from equipage.accounts.actions import (
    member_deactivate,
    member_reactivate,
    member_set_password,
    member_update,
    password_change,
    password_reset_request,
)
from equipage.accounts.actions.passwords import send_set_password_link
from equipage.accounts.models import Member
from equipage.emails.models import OutboundEmail
from equipage.permissions import Origin
from tests.tasks import clear_cache


@pytest.fixture(autouse=True)
def _fresh_counters(db: Any) -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


NEW = {"new_password1": "Taken-over-2026!", "new_password2": "Taken-over-2026!"}


def reset_link(org: Any, member: Any) -> str:
    """Ask a reset for ``member`` and return the path of the link their mail holds."""
    password_reset_request(organization=org, identifier=member.login, origin=Origin("test"))
    mail = OutboundEmail.objects.filter(member=member, kind="password_reset").latest("id")
    return "/o/acme/password/set/" + mail.body_text.split("/password/set/")[1].split("/")[0] + "/"


def assert_dead(path: str, member: Any) -> None:
    assert Client().get(path).status_code == 410
    assert Client().post(path, NEW).status_code == 410
    assert not Member.objects.get(pk=member.pk).check_password(NEW["new_password1"])


def test_reset_link_from_before_a_password_change_is_dead(org: Any, member: Any) -> None:
    path = reset_link(org, member)
    password_change(
        actor=member, member=member, old_password="member-pass-123", new_password="Mine-now-2026!"
    )
    assert_dead(path, member)


def test_reset_link_from_before_an_admin_set_password_is_dead(
    org: Any, admin: Any, member: Any
) -> None:
    path = reset_link(org, member)
    member_set_password(actor=admin, member=member, password="Admin-gave-2026!")
    assert_dead(path, member)


def test_link_mailed_to_the_old_address_is_dead_after_an_email_change(
    org: Any, admin: Any, member: Any
) -> None:
    path = reset_link(org, member)
    member_update(actor=admin, member=member, email="mia.new@acme.test")
    assert_dead(path, member)


def test_link_mailed_to_the_old_address_is_dead_after_an_import_changes_it(
    org: Any, admin: Any, member: Any
) -> None:
    from tests.imports.helpers import csv_bytes, run_import

    path = reset_link(org, member)
    row = [member.login, member.last_name, member.first_name, "mia.new@acme.test", "", "Activé"]
    assert run_import(org, admin, csv_bytes([row]), mode="upsert").applied
    assert_dead(path, member)


def test_link_from_before_a_deactivation_stays_dead_after_reactivation(
    org: Any, admin: Any, member: Any
) -> None:
    path = reset_link(org, member)
    member_deactivate(actor=admin, member=member)
    assert Client().get(path).status_code == 410
    member_reactivate(actor=admin, member=member)
    assert_dead(path, member)


def test_newer_reset_link_voids_the_older_one(org: Any, member: Any) -> None:
    older = reset_link(org, member)
    newer = reset_link(org, member)
    assert_dead(older, member)
    assert Client().post(newer, NEW).status_code == 302


def test_newer_set_password_link_voids_the_older_one(org: Any, admin: Any, member: Any) -> None:
    from django.db import transaction

    with transaction.atomic():
        older = send_set_password_link(member).removeprefix("http://testserver")
        newer = send_set_password_link(member).removeprefix("http://testserver")
    assert_dead(older, member)
    assert Client().get(newer).status_code == 200


def test_using_a_link_kills_the_others_of_the_account(org: Any, member: Any) -> None:
    from django.db import transaction

    reset = reset_link(org, member)
    with transaction.atomic():
        set_link = send_set_password_link(member).removeprefix("http://testserver")
    assert Client().post(set_link, NEW).status_code == 302
    assert Client().get(reset).status_code == 410


def test_untouched_account_keeps_its_link(org: Any, admin: Any, member: Any) -> None:
    path = reset_link(org, member)
    member_update(actor=admin, member=member, job_title="Comptable")
    assert Client().post(path, NEW).status_code == 302
    assert Member.objects.get(pk=member.pk).check_password(NEW["new_password1"])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_dead_link_page_says_so_in_the_visitors_language(
    org: Any, admin: Any, member: Any, lang: str
) -> None:
    path = reset_link(org, member)
    member_update(actor=admin, member=member, email="mia.elsewhere@acme.test")
    client = Client()
    client.cookies["django_language"] = lang
    body = client.get(path).content.decode()
    expected = {"en": "no longer valid", "fr": "n'est plus valable"}[lang]
    assert expected in body.replace("’", "'")


def test_upgrade_binds_links_made_before_it_so_they_keep_working(org: Any, member: Any) -> None:
    import importlib

    from django.apps import apps

    from equipage.accounts.models import PasswordToken

    path = reset_link(org, member)
    PasswordToken.objects.filter(member=member).update(binding="")  # as before the upgrade
    assert Client().get(path).status_code == 410
    migration = importlib.import_module("equipage.accounts.migrations.0007_password_token_binding")
    migration.bind_live_tokens(apps, None)
    assert Client().post(path, NEW).status_code == 302
