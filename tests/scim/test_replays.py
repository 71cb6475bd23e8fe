"""The published Okta and Entra ID request sequences, replayed against the in-process SCIM view."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.scim.replays import Send, entra, okta, replay


def client_sender(client: Client, token: str) -> Send:
    """Send through Django's test client, as ``equipage serve`` would receive it."""

    def send(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        meta = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        content_type = headers.get("Content-Type", "application/scim+json")
        meta |= {
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in headers.items()
            if k != "Content-Type"
        }
        kwargs: dict[str, Any] = dict(meta)
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": content_type}
        reply = getattr(client, method.lower())(f"/scim/v2{path}", **kwargs)
        return reply.status_code, json.loads(reply.content) if reply.content else None

    return send


@pytest.fixture
def send(client: Client, scim_token: str) -> Send:
    return client_sender(client, scim_token)


def test_okta_user_sequence_provisions_updates_and_deactivates(
    send: Send, member: Any, audit_events: Any
) -> None:
    from equipage.accounts.models import Member

    saved = replay(send, okta.USERS)
    created = Member.objects.get(pk=saved["user"])
    assert (created.login, created.first_name, created.last_name) == (
        "test.user@okta.local",
        "Another",
        "User",
    )
    assert created.state == "active"
    assert "member.deactivated" in audit_events() and "member.reactivated" in audit_events()


def test_okta_group_push_adds_replaces_and_removes_members(send: Send, member: Any) -> None:
    from equipage.groups.models import Group

    saved = replay(send, okta.USERS[:2])
    saved = replay(send, okta.GROUPS, {**saved, "other": str(member.pk)})
    assert not Group.objects.filter(pk=saved["group"]).exists()


def test_okta_spec_test_passes_on_a_new_organization_whose_owner_has_no_names(
    client: Client, db: Any, operator: Any
) -> None:
    """The first user Okta's SPEC test reads is the owner, still without names."""
    from equipage.accounts.models import Member
    from equipage.organizations.actions import organization_create
    from equipage.tokens.actions import token_create

    created = organization_create(
        actor=operator, slug="fresh", name="Fresh", owner_email="boss@fresh.test", language="en"
    )
    # However the owner is created, a member may have no names yet (set up later).
    Member.objects.filter(pk=created.owner.pk).update(first_name="", last_name="")
    token = token_create(
        actor=operator, organization=created.organization, name="okta", scopes=["scim"]
    ).raw
    replay(client_sender(client, token), okta.SPEC_TEST)


def test_entra_default_sequence_without_the_flag(send: Send, member: Any) -> None:
    replay(send, entra.USERS_DEFAULT, {"boss": str(member.pk)})


def test_entra_sequence_with_the_aadoptscim062020_flag(send: Send) -> None:
    from equipage.accounts.models import Member

    saved = replay(send, entra.USERS_FLAG)
    flagged = Member.objects.get(pk=saved["user"])
    assert (flagged.first_name, flagged.last_name, flagged.state) == ("Kkom", "Unua", "deactivated")


def test_entra_custom_extension_is_ignored_and_logged_not_refused(
    send: Send, member: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="equipage.scim"):
        replay(send, entra.USER_WITH_EXTENSIONS, {"boss": str(member.pk)})
    assert entra.CUSTOM_EXTENSION in caplog.text and "ignored" in caplog.text
    assert "701984" not in caplog.text  # the log names what was ignored, not its value


@pytest.mark.parametrize(
    "steps", [entra.GROUPS_DEFAULT, entra.GROUPS_FLAG], ids=["without-flag", "with-flag"]
)
def test_entra_group_members_are_added_and_removed(
    send: Send, member: Any, outsider: Any, steps: list[Any]
) -> None:
    from equipage.groups.models import GroupMembership

    replay(send, steps, {"boss": str(member.pk), "peer": str(outsider.pk)})
    assert not GroupMembership.objects.filter(
        member=member, group__name__contains="updated"
    ).exists()
