"""Deleting an organization: the owner (or the operator) only, confirmed by its slug, for good.

Every table with a key to the organization is counted for both tenants, so a
row left behind in the deleted one, or one taken from the other, fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models

from equipage.accounts.models import Member
from equipage.audit.models import AuditEvent
from equipage.core import clock
from equipage.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from equipage.emails.models import OutboundEmail
from equipage.imports.models import ImportChunk, ImportJob
from equipage.imports.storage import store_upload
from equipage.organizations.actions import organization_delete
from equipage.organizations.deletion import deletion_plan
from equipage.organizations.models import Organization
from equipage.organizations.selectors import organization_footprint
from tests.conftest import make_member


def _key(model: type[models.Model]) -> str:
    return next(
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is Organization
    )


def rows_of(org_id: int) -> dict[str, int]:
    """Count the rows of every table that belongs to an organization."""
    return {
        m._meta.label: m._base_manager.filter(**{f"{_key(m)}_id": org_id}).count()
        for m in deletion_plan().owned
    }


def populate(org: Any, owner: Any) -> dict[str, Any]:
    """Give the organization a row in every one of its tables, through the actions."""
    from equipage.accounts.actions import (
        custom_field_create,
        member_set_custom_values,
        member_update,
        ownership_transfer_start,
    )
    from equipage.groups.actions import group_create, label_create, labels_attach
    from equipage.invitations.actions import invitations_create
    from equipage.scim.models import ScimExtra
    from equipage.tokens.actions import token_create
    from equipage.webhooks.actions import webhook_create

    parent = group_create(actor=owner, organization=org, name="Ventes")
    child = group_create(actor=owner, organization=org, name="Ventes Nord", parent=parent)
    admin = make_member(org, owner, "Adam", "Admin", ["admin"], groups=[child])
    plain = make_member(org, owner, "Mia", "Member", groups=[child])
    label = label_create(actor=owner, organization=org, name="Bénévole")
    labels_attach(actor=owner, label=label, members=[plain])
    field = custom_field_create(actor=owner, organization=org, name="Service")
    member_set_custom_values(actor=owner, member=plain, values={field.key: "Achats"})
    invitations_create(actor=owner, organization=org, emails=f"new@{org.slug}.test")
    token_create(actor=owner, organization=org, name="idp", scopes=["scim"])
    webhook_create(
        actor=owner, organization=org, url="https://hooks.example.com", events=["member.updated"]
    )
    member_update(actor=owner, member=plain, job_title="Acheteuse")
    ownership_transfer_start(actor=owner, to_member=admin)
    ScimExtra.objects.create(organization=org, member=plain, data={"nickName": "mimi"})
    job = ImportJob.objects.create(
        organization=org, status="previewed", created_at=clock.now(), updated_at=clock.now()
    )
    store_upload(job, "Nom;Prénom\n".encode())  # the uploaded roster, kept in the database
    return {"admin": admin, "member": plain, "upload": job.pk}


# The tables ``populate`` fills on every engine (a table kept by database triggers on one
# engine only, such as PostgreSQL's member counts, is counted but not required).
POPULATED = {
    "accounts.Member",
    "accounts.MemberRole",
    "accounts.CustomField",
    "accounts.CustomFieldValue",
    "accounts.PasswordToken",
    "accounts.OwnershipTransfer",
    "groups.Group",
    "groups.GroupMembership",
    "groups.Label",
    "groups.MemberLabel",
    "invitations.Invitation",
    "emails.OutboundEmail",
    "tokens.ApiToken",
    "webhooks.WebhookEndpoint",
    "webhooks.WebhookDelivery",
    "scim.ScimExtra",
    "imports.ImportJob",
}


@pytest.fixture
def two_worlds(org: Any, owner: Any, other_org: Any, other_owner: Any) -> dict[str, Any]:
    return {"acme": populate(org, owner), "globex": populate(other_org, other_owner)}


def test_owner_deletes_everything_of_the_organization_and_nothing_of_the_other(
    org: Any,
    owner: Any,
    other_org: Any,
    two_worlds: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    filled = {label for label, n in rows_of(org.pk).items() if n}
    assert filled >= POPULATED, POPULATED - filled  # every table the actions fill is exercised
    globex_before = rows_of(other_org.pk)
    member_ids = list(Member.objects.filter(organization=org).values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        organization_delete(actor=owner, organization=org, confirm_slug="acme")

    assert not Organization.objects.filter(pk=org.pk).exists()
    assert set(rows_of(org.pk).values()) == {0}
    assert not Member.objects.filter(pk__in=member_ids).exists()
    assert rows_of(other_org.pk) == globex_before
    assert Organization.objects.filter(pk=other_org.pk).exists()
    # The uploaded roster went too (its rows), the other organization's stayed.
    assert not ImportChunk.objects.filter(job_id=two_worlds["acme"]["upload"]).exists()
    assert ImportChunk.objects.filter(job_id=two_worlds["globex"]["upload"]).exists()


def test_deletion_is_audited_and_the_trail_survives_without_its_organization(
    org: Any, owner: Any, two_worlds: dict[str, Any]
) -> None:
    trail = AuditEvent.objects.filter(organization=org).count()
    footprint = organization_footprint(org)

    organization_delete(actor=owner, organization=org, confirm_slug="acme")

    kept = AuditEvent.objects.filter(organization_slug="acme")
    assert kept.count() == trail + 1
    assert not kept.filter(organization__isnull=False).exists()
    assert not kept.filter(actor__isnull=False).exists() and not kept.filter(member__isnull=False)
    event = kept.get(event_type="org.deleted")
    assert event.actor_label.startswith("owner <owner@acme.test>")
    assert event.target_label == "acme"
    assert event.before is not None
    assert event.before["members"] == footprint.members == 4  # owner, admin, member, invitee
    assert event.before["groups"] == footprint.groups == 2
    assert event.before["queued_emails"] == footprint.queued_emails > 0


def test_queued_emails_of_the_organization_are_dropped(
    org: Any, owner: Any, other_org: Any, two_worlds: dict[str, Any]
) -> None:
    theirs = OutboundEmail.objects.filter(organization=other_org).count()
    assert OutboundEmail.objects.filter(organization=org).exists()

    organization_delete(actor=owner, organization=org, confirm_slug="acme")

    assert not OutboundEmail.objects.filter(organization_id=org.pk).exists()
    assert OutboundEmail.objects.filter(organization=other_org).count() == theirs


def test_operator_deletes_an_organization(org: Any, operator: Any, groups: Any) -> None:
    organization_delete(actor=operator, organization=org, confirm_slug="acme")
    assert not Organization.objects.filter(slug="acme").exists()
    event = AuditEvent.objects.get(event_type="org.deleted")
    assert (event.actor_label, event.organization_slug) == ("test-operator", "acme")


@pytest.mark.parametrize("typed", ["", "ACME ", "acm", "globex", "acme-corp"])
def test_wrong_confirmation_is_refused_and_nothing_is_deleted(
    org: Any, owner: Any, groups: Any, typed: str
) -> None:
    before = rows_of(org.pk)
    with pytest.raises(ValidationFailed) as refused:
        organization_delete(actor=owner, organization=org, confirm_slug=typed)
    assert refused.value.field == "confirm" and "“acme”" in str(refused.value)
    assert rows_of(org.pk) == before
    assert not AuditEvent.objects.filter(event_type="org.deleted").exists()


@pytest.mark.parametrize("who", ["admin", "user_admin", "group_admin", "member"])
def test_nobody_but_the_owner_deletes_the_organization(
    org: Any, who: str, request: pytest.FixtureRequest
) -> None:
    actor = request.getfixturevalue(who)
    before = rows_of(org.pk)
    with pytest.raises(PermissionDenied):
        organization_delete(actor=actor, organization=org, confirm_slug="acme")
    assert rows_of(org.pk) == before
    assert not AuditEvent.objects.filter(event_type="org.deleted").exists()


def test_owner_of_another_organization_finds_nothing_to_delete(
    org: Any, other_owner: Any, groups: Any
) -> None:
    before = rows_of(org.pk)
    with pytest.raises(NotFound):
        organization_delete(actor=other_owner, organization=org, confirm_slug="acme")
    assert rows_of(org.pk) == before


def test_a_token_never_deletes_the_organization(org: Any, owner: Any) -> None:
    from equipage.tokens.actions import token_create
    from equipage.tokens.selectors import actor_for_token

    raw = token_create(actor=owner, organization=org, name="api", scopes=["api"]).raw
    actor = actor_for_token(raw, scope="api:write")
    with pytest.raises(PermissionDenied):
        organization_delete(actor=actor, organization=org, confirm_slug="acme")
    assert Organization.objects.filter(pk=org.pk).exists()


def test_a_running_import_holds_the_deletion_off(org: Any, owner: Any) -> None:
    ImportJob.objects.create(
        organization=org,
        status="running",
        lock=True,
        pid=None,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    with pytest.raises(Conflict, match="import is in progress") as refused:
        organization_delete(actor=owner, organization=org, confirm_slug="acme")
    assert refused.value.code == "import_in_progress"
    assert Organization.objects.filter(pk=org.pk).exists()


def test_an_import_lock_left_by_a_dead_process_does_not_hold_the_deletion_off(
    org: Any, owner: Any
) -> None:
    import socket

    ImportJob.objects.create(
        organization=org,
        status="running",
        lock=True,
        pid=2**22 + 12345,
        host=socket.gethostname(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    organization_delete(actor=owner, organization=org, confirm_slug="acme")
    assert not Organization.objects.filter(pk=org.pk).exists()
    assert not ImportJob.objects.filter(organization_id=org.pk).exists()


def test_a_deleted_organization_cannot_be_deleted_twice(
    org: Any, owner: Any, operator: Any
) -> None:
    stale = Organization.objects.get(pk=org.pk)
    organization_delete(actor=owner, organization=org, confirm_slug="acme")
    with pytest.raises(NotFound):
        organization_delete(actor=operator, organization=stale, confirm_slug="acme")


def test_the_slug_is_free_again_after_the_deletion(org: Any, owner: Any, operator: Any) -> None:
    from equipage.organizations.actions import organization_create

    organization_delete(actor=owner, organization=org, confirm_slug="acme")
    again = organization_create(
        actor=operator, slug="acme", name="Acme again", owner_email="new@acme.test"
    )
    assert Member.objects.filter(organization=again.organization).count() == 1
    # The old trail is not shown to the new organization: it is no longer tied to any.
    assert not AuditEvent.objects.filter(
        organization=again.organization, event_type="org.deleted"
    ).exists()


def test_every_table_of_an_organization_is_in_the_deletion_plan() -> None:
    from django.apps import apps

    tied = {
        m._meta.label
        for m in apps.get_models()
        for f in m._meta.concrete_fields
        if isinstance(f, models.ForeignKey)
        and f.related_model is Organization
        and f.remote_field.on_delete is models.CASCADE
    }
    assert {m._meta.label for m in deletion_plan().owned} == tied
    order = [m._meta.label for m in deletion_plan().owned]
    # Children before parents: a member's rows before the member, members before nothing.
    assert order.index("accounts.MemberRole") < order.index("accounts.Member")
    assert order.index("groups.GroupMembership") < order.index("groups.Group")
    assert order.index("webhooks.WebhookDelivery") < order.index("webhooks.WebhookEndpoint")
