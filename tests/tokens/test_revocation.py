"""A token dies with what made it legitimate: its creator active, a token manager, existing.

The attacks of issue #13.4, replayed over HTTP: a deactivated admin's token
must not work again on reactivation, a demoted admin's token must stop at
once; and the console says why each token was revoked.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from equipage.accounts.actions import (
    member_deactivate,
    member_delete,
    member_reactivate,
    member_set_roles,
)
from equipage.audit.models import AuditEvent
from equipage.tokens.actions import token_create
from equipage.tokens.models import ApiToken, RevokedReason

BACKEND = "equipage.accounts.backends.MemberBackend"


def api_status(raw: str) -> int:
    return Client().get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def scim_status(raw: str) -> int:
    return Client().get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def make(org: Any, creator: Any, scopes: list[str]) -> tuple[ApiToken, str]:
    created = token_create(actor=creator, organization=org, name="sync", scopes=scopes)
    return created.token, created.raw


def assert_revoked(token: ApiToken, reason: RevokedReason) -> None:
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_reason == reason
    event = AuditEvent.objects.filter(event_type="token.revoked", target_id=str(token.pk)).get()
    assert event.after["reason"] == reason


def test_deactivated_admins_token_stays_dead_after_reactivation(
    org: Any, owner: Any, admin: Any
) -> None:
    token, raw = make(org, admin, ["api"])
    assert api_status(raw) == 200
    member_deactivate(actor=owner, member=admin)
    assert api_status(raw) == 401
    member_reactivate(actor=owner, member=admin)
    # The attack: the token used to work again here.
    assert api_status(raw) == 401
    assert_revoked(token, RevokedReason.CREATOR_DEACTIVATED)


def test_demoted_admins_token_stops_at_once(org: Any, owner: Any, admin: Any) -> None:
    token, raw = make(org, admin, ["api", "scim"])
    assert api_status(raw) == 200 and scim_status(raw) == 200
    member_set_roles(actor=owner, member=admin, roles=["user_admin"])
    assert api_status(raw) == 401 and scim_status(raw) == 401
    assert_revoked(token, RevokedReason.CREATOR_DEMOTED)
    # Promoted again, they make a new token: the old one stays revoked.
    member_set_roles(actor=owner, member=admin, roles=["admin"])
    assert api_status(raw) == 401


def test_role_change_that_keeps_admin_keeps_the_token(org: Any, owner: Any, admin: Any) -> None:
    token, raw = make(org, admin, ["api"])
    member_set_roles(actor=owner, member=admin, roles=["admin", "user_admin"])
    assert api_status(raw) == 200
    token.refresh_from_db()
    assert token.revoked_at is None


def test_deleted_creators_token_is_revoked_with_the_reason(
    org: Any, owner: Any, admin: Any
) -> None:
    token, raw = make(org, admin, ["scim"])
    member_delete(actor=owner, member=admin)
    assert scim_status(raw) == 401
    assert_revoked(token, RevokedReason.CREATOR_DELETED)


def test_other_creators_tokens_are_untouched(org: Any, owner: Any, admin: Any) -> None:
    theirs, raw = make(org, owner, ["api"])
    make(org, admin, ["api"])
    member_deactivate(actor=owner, member=admin)
    assert api_status(raw) == 200
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_import_that_deactivates_or_demotes_an_admin_revokes_their_token(
    org: Any, owner: Any, admin: Any, user_admin: Any
) -> None:
    from tests.imports.helpers import csv_bytes, run_import

    # user_admin is promoted to admin first, so that the file can demote them.
    member_set_roles(actor=owner, member=user_admin, roles=["admin"])
    admin_token, admin_raw = make(org, admin, ["api"])
    ua_token, ua_raw = make(org, user_admin, ["api"])
    header = ["Identifiant", "Nom", "Prénom", "Adresse e-mail", "Mot de passe", "État", "Rôles"]
    rows = [
        [admin.login, admin.last_name, admin.first_name, admin.email, "", "Désactivé", "admin"],
        [
            user_admin.login,
            user_admin.last_name,
            user_admin.first_name,
            user_admin.email,
            "",
            "Activé",
            "member",
        ],
    ]
    report = run_import(org, owner, csv_bytes(rows, header=header), mode="upsert")
    assert report.applied, report.errors
    assert api_status(admin_raw) == 401 and api_status(ua_raw) == 401
    assert_revoked(admin_token, RevokedReason.CREATOR_DEACTIVATED)
    assert_revoked(ua_token, RevokedReason.CREATOR_DEMOTED)


def test_token_list_says_why_each_token_was_revoked_in_english_and_french(
    org: Any, owner: Any, admin: Any
) -> None:
    from equipage.tokens.actions import token_revoke

    by_hand, _raw = make(org, owner, ["api"])
    token_revoke(actor=owner, token=by_hand)
    make(org, admin, ["api"])
    member_deactivate(actor=owner, member=admin)
    client = Client()
    client.force_login(owner, backend=BACKEND)
    client.cookies["django_language"] = "en"
    body = client.get("/o/acme/tokens/").content.decode()
    assert "Revoked by an administrator" in body and "Its creator was deactivated" in body
    client.cookies["django_language"] = "fr"
    body = client.get("/o/acme/tokens/").content.decode()
    assert "Révoqué par un administrateur" in body
    assert "Son créateur a été désactivé" in body


@pytest.mark.parametrize("state", ["deactivated", "demoted"])
def test_migration_revokes_tokens_whose_creator_could_no_longer_make_them(
    org: Any, owner: Any, admin: Any, state: str
) -> None:
    import importlib

    from django.apps import apps

    from equipage.accounts.models import Member, MemberRole

    token, _raw = make(org, admin, ["api"])
    # As the old code left them: the creator changed, the token still "active".
    if state == "deactivated":
        Member.objects.filter(pk=admin.pk).update(state="deactivated")
    else:
        MemberRole.objects.filter(member=admin).update(role="user_admin")
    migration = importlib.import_module("equipage.tokens.migrations.0002_token_revoked_reason")
    migration.revoke_orphans(apps, None)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_reason == f"creator_{state}"
