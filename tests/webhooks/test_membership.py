"""Membership webhooks: groups, labels and roles, one event per member, batched per delivery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from equipage.webhooks.actions import webhook_create
from equipage.webhooks.delivery import SIGNATURE_HEADER, deliver_due, verify
from equipage.webhooks.models import WebhookDelivery
from tests.conftest import make_member
from tests.webhooks.test_webhooks import Receiver

MEMBERSHIP = ["member.groups_changed", "member.labels_changed", "member.roles_changed"]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = True
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def hook(org: Any, admin: Any) -> Any:
    return webhook_create(
        actor=admin, organization=org, url="https://hooks.example.com/m", events=MEMBERSHIP
    )


def _payloads(event: str | None = None) -> list[dict[str, Any]]:
    rows = WebhookDelivery.objects.order_by("id")
    if event:
        rows = rows.filter(event=event)
    return [d.payload for d in rows]


def _crowd(org: Any, owner: Any, n: int) -> list[Any]:
    return [make_member(org, owner, f"Crowd{i}", "Person") for i in range(n)]


def test_joining_a_group_is_one_event_naming_the_public_ancestors_too(
    org: Any, admin: Any, outsider: Any, groups: dict[str, Any], hook: Any
) -> None:
    from equipage.groups.actions import group_add_member

    WebhookDelivery.objects.all().delete()
    group_add_member(actor=admin, group=groups["nord"], member=outsider)
    [payload] = _payloads()
    assert payload["type"] == "member.groups_changed"
    [event] = payload["data"]["events"]
    assert event["member"]["login"] == outsider.login
    assert {g["name"] for g in event["joined"]} == {"Ventes Nord", "Ventes"}
    assert event["left"] == []
    assert payload["data"]["channel"] and payload["data"]["actor"]


def test_leaving_a_group_is_delivered(
    org: Any, admin: Any, member: Any, groups: dict[str, Any], hook: Any
) -> None:
    from equipage.groups.actions import group_remove_member

    WebhookDelivery.objects.all().delete()
    group_remove_member(actor=admin, group=groups["nord"], member=member)
    [payload] = _payloads("member.groups_changed")
    [event] = payload["data"]["events"]
    assert event["left"] == [{"id": groups["nord"].pk, "name": "Ventes Nord"}]
    assert event["joined"] == []


def test_attaching_and_detaching_a_label_are_delivered(
    org: Any, admin: Any, member: Any, hook: Any
) -> None:
    from equipage.groups.actions import label_create, labels_attach, labels_detach

    label = label_create(actor=admin, organization=org, name="Secouriste")
    labels_attach(actor=admin, label=label, members=[member])
    labels_detach(actor=admin, label=label, members=[member])
    attached, detached = (p["data"]["events"][0] for p in _payloads("member.labels_changed"))
    assert attached["attached"] == [{"id": label.pk, "name": "Secouriste"}]
    assert detached["detached"] == [{"id": label.pk, "name": "Secouriste"}]
    assert attached["member"]["id"] == member.pk


def test_role_change_is_delivered_with_before_and_after(
    org: Any, owner: Any, member: Any, hook: Any
) -> None:
    from equipage.accounts.actions import member_set_roles

    member_set_roles(actor=owner, member=member, roles=["user_admin"])
    [payload] = _payloads("member.roles_changed")
    [event] = payload["data"]["events"]
    assert event["roles"] == {"before": ["member"], "after": ["user_admin"]}


def test_bulk_add_to_group_is_one_delivery_and_one_request(
    org: Any, owner: Any, admin: Any, groups: dict[str, Any], hook: Any, receiver: Receiver
) -> None:
    from equipage.directory.bulk import run_bulk

    crowd = _crowd(org, owner, 30)
    hook.url = receiver.url
    hook.save(update_fields=["url"])
    WebhookDelivery.objects.all().delete()
    result = run_bulk(
        actor=admin_actor(admin),
        organization=org,
        key="group_add",
        ids=[m.pk for m in crowd],
        group=groups["atelier"],
    )
    assert len(result.done) == 30
    [payload] = _payloads()
    events = payload["data"]["events"]
    assert sorted(e["member"]["id"] for e in events) == sorted(m.pk for m in crowd)
    assert all(e["joined"] == [{"id": groups["atelier"].pk, "name": "Atelier", "role": "member"}]
               for e in events)  # fmt: skip
    assert len({e["id"] for e in events}) == 30  # every event has its own id
    assert deliver_due() == 1
    [request] = receiver.requests
    assert verify(hook.secret, request["headers"][SIGNATURE_HEADER], request["body"])
    assert len(json.loads(request["body"])["data"]["events"]) == 30


def test_a_bulk_action_beyond_a_batch_is_split_into_several_deliveries(
    org: Any, owner: Any, admin: Any, groups: dict[str, Any], hook: Any, monkeypatch: Any
) -> None:
    from equipage.directory.bulk import run_bulk
    from equipage.webhooks import emit

    monkeypatch.setattr(emit, "EVENTS_PER_DELIVERY", 4)
    crowd = _crowd(org, owner, 10)
    WebhookDelivery.objects.all().delete()
    run_bulk(
        actor=admin_actor(admin),
        organization=org,
        key="group_add",
        ids=[m.pk for m in crowd],
        group=groups["atelier"],
    )
    assert [len(p["data"]["events"]) for p in _payloads()] == [4, 4, 2]


def test_bulk_removal_and_role_change_are_batched_and_skip_the_refused(
    org: Any, owner: Any, admin: Any, member: Any, groups: dict[str, Any], hook: Any
) -> None:
    from equipage.directory.bulk import run_bulk
    from equipage.groups.actions import groups_add_members

    crowd = _crowd(org, owner, 5)
    groups_add_members(actor=admin, group=groups["atelier"], members=crowd)
    WebhookDelivery.objects.all().delete()
    # ``member`` is not in Atelier: refused, rolled back alone, and not announced.
    ids = [m.pk for m in crowd] + [member.pk]
    result = run_bulk(
        actor=admin_actor(admin),
        organization=org,
        key="group_remove",
        ids=ids,
        group=groups["atelier"],
    )
    assert len(result.done) == 5 and len(result.skipped) == 1
    [payload] = _payloads()
    assert sorted(e["member"]["id"] for e in payload["data"]["events"]) == sorted(
        m.pk for m in crowd
    )
    WebhookDelivery.objects.all().delete()
    run_bulk(actor=admin_actor(admin), organization=org, key="set_role", ids=ids, role="user_admin")
    [payload] = _payloads()
    assert payload["type"] == "member.roles_changed"
    assert len(payload["data"]["events"]) == 6


def test_import_announces_groups_labels_and_roles_in_batches(
    org: Any, admin: Any, member: Any, groups: dict[str, Any], hook: Any
) -> None:
    from equipage.groups.actions import label_create
    from tests.imports.helpers import csv_bytes, run_import

    label = label_create(actor=admin, organization=org, name="Secouriste")
    WebhookDelivery.objects.all().delete()
    header = ["Identifiant", "Nom", "Prénom", "État", "Groupes", "Rôles", "Étiquettes"]
    rows = [
        [member.login, member.last_name, member.first_name, "Activé", "Atelier", "user admin",
         "secouriste"],
        ["", "Neuf", "Nina", "Activé", "Atelier", "", ""],
    ]  # fmt: skip
    report = run_import(org, admin, csv_bytes(rows, header=header), mode="upsert")
    assert report.applied, report.errors
    by_type = {p["type"]: p["data"]["events"] for p in _payloads()}
    groups_events = {e["member"]["login"]: e for e in by_type["member.groups_changed"]}
    assert groups_events[member.login]["joined"] == [
        {"id": groups["atelier"].pk, "name": "Atelier"}
    ]
    assert {g["name"] for g in groups_events[member.login]["left"]} == {"Ventes Nord", "Ventes"}
    assert groups_events["nina.neuf"]["joined"] == [{"id": groups["atelier"].pk, "name": "Atelier"}]
    [labels] = by_type["member.labels_changed"]
    assert labels["attached"] == [{"id": label.pk, "name": "Secouriste"}]
    [roles] = by_type["member.roles_changed"]
    assert roles["roles"] == {"before": ["member"], "after": ["user_admin"]}


def test_other_organizations_endpoints_hear_nothing(
    org: Any, admin: Any, outsider: Any, groups: dict[str, Any], other_admin: Any, other_org: Any
) -> None:
    from equipage.groups.actions import group_add_member

    webhook_create(
        actor=other_admin, organization=other_org, url="https://h.example.com", events=MEMBERSHIP
    )
    group_add_member(actor=admin, group=groups["atelier"], member=outsider)
    assert not WebhookDelivery.objects.exists()


def admin_actor(admin: Any) -> Any:
    from equipage.permissions import as_actor

    return as_actor(admin)


def test_scim_replacing_a_groups_members_is_one_batched_delivery(
    org: Any, owner: Any, admin: Any, groups: dict[str, Any], hook: Any
) -> None:
    from equipage.scim.actions import GroupFields, scim_group_update

    crowd = _crowd(org, owner, 6)
    WebhookDelivery.objects.all().delete()
    scim_group_update(
        actor=admin_actor(admin),
        group=groups["atelier"],
        fields=GroupFields(name="Atelier", member_ids=[m.pk for m in crowd]),
    )
    [payload] = _payloads()
    assert payload["type"] == "member.groups_changed"
    assert sorted(e["member"]["id"] for e in payload["data"]["events"]) == sorted(
        m.pk for m in crowd
    )
