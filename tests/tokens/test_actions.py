"""Token actions and the bearer-token actor: scoped, hashed, audited, bounded."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.core.errors import NotFound, PermissionDenied, ValidationFailed
from equipage.tokens.actions import hash_token, token_create, token_revoke
from equipage.tokens.models import ApiToken
from equipage.tokens.selectors import MissingScope, Unauthenticated, actor_for_token


def test_token_create_stores_only_a_hash_and_audits(
    org: Any, admin: Any, audit_events: Any
) -> None:
    created = token_create(actor=admin, organization=org, name="okta", scopes=["scim"])
    stored = ApiToken.objects.get(pk=created.token.pk)
    assert created.raw.startswith("eqp_")
    assert stored.token_hash == hash_token(created.raw)
    assert created.raw not in str(ApiToken.objects.filter(pk=stored.pk).values().first())
    assert stored.created_by == admin
    assert audit_events()[0] == "token.created"


def test_member_cannot_create_token(org: Any, member: Any) -> None:
    with pytest.raises(PermissionDenied):
        token_create(actor=member, organization=org, name="x", scopes=["api"])


def test_admin_cannot_create_token_for_another_organization(other_org: Any, admin: Any) -> None:
    with pytest.raises(NotFound):
        token_create(actor=admin, organization=other_org, name="x", scopes=["api"])


def test_unknown_scope_is_refused(org: Any, admin: Any) -> None:
    with pytest.raises(ValidationFailed):
        token_create(actor=admin, organization=org, name="x", scopes=["root"])


def test_token_actor_is_capped_at_admin_and_labelled(org: Any, owner: Any) -> None:
    raw = token_create(actor=owner, organization=org, name="ci", scopes=["api"]).raw
    actor = actor_for_token(raw, scope="api:write")
    assert actor.kind == "token"
    assert actor.label == "token:ci"
    assert actor.organization_id == org.pk
    assert "owner" not in actor.roles and "admin" in actor.roles


def test_user_admin_cannot_create_token(org: Any, user_admin: Any) -> None:
    with pytest.raises(PermissionDenied):
        token_create(actor=user_admin, organization=org, name="x", scopes=["api"])


def test_revoked_token_stops_working(org: Any, admin: Any, audit_events: Any) -> None:
    created = token_create(actor=admin, organization=org, name="x", scopes=["scim"])
    token_revoke(actor=admin, token=created.token)
    assert audit_events()[0] == "token.revoked"
    with pytest.raises(Unauthenticated):
        actor_for_token(created.raw, scope="scim")


def test_deactivated_creator_tokens_stop_working(org: Any, owner: Any, admin: Any) -> None:
    from equipage.accounts.actions import member_deactivate

    raw = token_create(actor=admin, organization=org, name="x", scopes=["scim"]).raw
    member_deactivate(actor=owner, member=admin)
    with pytest.raises(Unauthenticated):
        actor_for_token(raw, scope="scim")


def test_scope_is_enforced(org: Any, admin: Any) -> None:
    raw = token_create(actor=admin, organization=org, name="x", scopes=["api:read"]).raw
    actor_for_token(raw, scope="api:read")
    with pytest.raises(MissingScope):
        actor_for_token(raw, scope="api:write")
    with pytest.raises(MissingScope):
        actor_for_token(raw, scope="scim")


def test_unknown_token_is_unauthenticated(db: Any) -> None:
    with pytest.raises(Unauthenticated):
        actor_for_token("eqp_nope", scope="scim")


def test_operator_token_acts_for_the_owner_capped_at_admin(
    org: Any, owner: Any, operator: Any
) -> None:
    raw = token_create(actor=operator, organization=org, name="cli", scopes=["scim"]).raw
    actor = actor_for_token(raw, scope="scim")
    assert actor.member == owner
    assert actor.roles == frozenset({"admin"})
