"""POST /api/v1/members/{id}/password-link: a single-use set-password link by mail, 202."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from equipage.accounts.actions import member_deactivate, member_send_password_link
from equipage.audit.models import AuditEvent
from equipage.core.errors import PermissionDenied
from equipage.emails.models import OutboundEmail
from tests.api.test_endpoints import call
from tests.tasks import clear_cache


@pytest.fixture(autouse=True)
def _fresh_counters(db: Any) -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def link_path(member: Any) -> str:
    body = OutboundEmail.objects.filter(member=member, kind="set_password").latest("id").body_text
    return "/o/acme/password/set/" + body.split("/password/set/")[1].split("/")[0] + "/"


def test_password_link_mails_a_single_use_link_and_answers_202(
    org: Any, member: Any, write_token: str
) -> None:
    path = f"/members/{member.pk}/password-link"
    r = call(Client(), write_token, "POST", path, **{"Accept-Language": "en"})
    assert r.status_code == 202, r.content
    assert r.json() == {"detail": "A single-use set-password link was mailed to the member."}
    mail = OutboundEmail.objects.get(member=member, kind="set_password")
    assert mail.to == member.email
    event = AuditEvent.objects.get(event_type="member.password_link_sent")
    assert event.member_id == member.pk and event.origin["channel"] == "api"
    path = link_path(member)
    new = {"new_password1": "Chosen-by-me-2026", "new_password2": "Chosen-by-me-2026"}
    assert Client().post(path, new).status_code == 302
    assert Client().post(path, new).status_code == 410


def test_a_newer_password_link_voids_the_older_one(org: Any, member: Any, write_token: str) -> None:
    call(Client(), write_token, "POST", f"/members/{member.pk}/password-link")
    older = link_path(member)
    call(Client(), write_token, "POST", f"/members/{member.pk}/password-link")
    newer = link_path(member)
    assert older != newer
    assert Client().get(older).status_code == 410
    assert Client().get(newer).status_code == 200


def test_password_link_is_refused_for_a_deactivated_member(
    org: Any, admin: Any, member: Any, write_token: str
) -> None:
    member_deactivate(actor=admin, member=member)
    r = call(Client(), write_token, "POST", f"/members/{member.pk}/password-link")
    assert r.status_code == 409
    assert r["Content-Type"].startswith("application/problem+json")
    assert not OutboundEmail.objects.filter(member=member, kind="set_password").exists()


def test_password_link_for_another_tenants_member_is_not_found(
    org: Any, other_member: Any, write_token: str
) -> None:
    r = call(Client(), write_token, "POST", f"/members/{other_member.pk}/password-link")
    assert r.status_code == 404
    assert (
        not OutboundEmail.objects.filter(member=other_member)
        .exclude(kind="credentials")
        .filter(kind="set_password")
        .exists()
    )


def test_password_link_needs_the_write_scope(org: Any, member: Any, read_token: str) -> None:
    r = call(Client(), read_token, "POST", f"/members/{member.pk}/password-link")
    assert r.status_code == 403
    assert not OutboundEmail.objects.filter(member=member, kind="set_password").exists()


def test_password_link_without_an_email_address_is_a_clear_400(
    org: Any, owner: Any, write_token: str
) -> None:
    from tests.conftest import make_member

    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    path = f"/members/{nomail.pk}/password-link"
    r = call(Client(), write_token, "POST", path, **{"Accept-Language": "en"})
    assert r.status_code == 400 and "no e-mail address" in r.json()["detail"]
    r = call(Client(), write_token, "POST", path, **{"Accept-Language": "fr"})
    assert "pas d’adresse e-mail" in r.json()["detail"]


def test_password_links_to_one_member_are_limited_per_hour_with_a_clear_429(
    org: Any, member: Any, write_token: str
) -> None:
    from django.conf import settings

    limit = settings.EQUIPAGE_PASSWORD_LINKS_PER_MEMBER
    answers = [
        call(Client(), write_token, "POST", f"/members/{member.pk}/password-link")
        for _ in range(limit + 1)
    ]
    assert [r.status_code for r in answers] == [202] * limit + [429]
    assert "password links this hour" in answers[-1].json()["detail"]
    assert OutboundEmail.objects.filter(member=member, kind="set_password").count() == limit


@pytest.mark.parametrize("who", ["member", "group_admin"])
def test_a_member_or_a_group_admin_outside_their_groups_cannot_send_a_password_link(
    org: Any, outsider: Any, who: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(PermissionDenied):
        member_send_password_link(actor=request.getfixturevalue(who), member=outsider)
    assert not OutboundEmail.objects.filter(member=outsider, kind="set_password").exists()


def test_user_admin_may_send_a_password_link(org: Any, user_admin: Any, member: Any) -> None:
    member_send_password_link(actor=user_admin, member=member)
    assert OutboundEmail.objects.filter(member=member, kind="set_password").count() == 1


def test_password_link_is_in_the_openapi_document(db: Any) -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/members/{member_id}/password-link"]["post"]
    assert "202" in operation["responses"]


def test_a_temporary_password_for_a_member_without_email_must_be_changed_at_first_login(
    org: Any, owner: Any, write_token: str
) -> None:
    from equipage.accounts.models import Member
    from tests.conftest import make_member

    nomail = make_member(org, owner, "Sans", "Adresse", email="")
    path = f"/members/{nomail.pk}/password"
    r = call(Client(), write_token, "POST", path, {"password": "Given-by-api-2026"})
    assert r.status_code == 200 and "first login" in r.json()["detail"]
    fresh = Member.objects.get(pk=nomail.pk)
    assert fresh.check_password("Given-by-api-2026") and fresh.must_change_password
    assert not OutboundEmail.objects.filter(member=nomail).exists()


@pytest.mark.parametrize(
    ("weak", "rule"), [("Elevenchars", "at least 12 characters"), ("qwerty123456", "too common")]
)
def test_a_temporary_password_the_policy_refuses_is_a_400_naming_the_rule(
    org: Any, member: Any, write_token: str, weak: str, rule: str
) -> None:
    r = call(Client(), write_token, "POST", f"/members/{member.pk}/password", {"password": weak})
    assert r.status_code == 400 and rule in r.json()["detail"]
    assert not type(member).objects.get(pk=member.pk).check_password(weak)


def test_a_temporary_password_for_another_tenants_member_is_not_found(
    org: Any, other_member: Any, write_token: str
) -> None:
    path = f"/members/{other_member.pk}/password"
    r = call(Client(), write_token, "POST", path, {"password": "Given-by-api-2026"})
    assert r.status_code == 404
    assert (
        not type(other_member).objects.get(pk=other_member.pk).check_password("Given-by-api-2026")
    )


def test_a_temporary_password_needs_the_write_scope(org: Any, member: Any, read_token: str) -> None:
    path = f"/members/{member.pk}/password"
    r = call(Client(), read_token, "POST", path, {"password": "Given-by-api-2026"})
    assert r.status_code == 403
