"""Bulk actions « Action de masse »: confirmation, done/skipped with reasons, reach, tenants."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_deactivation_asks_for_confirmation_naming_the_count(
    login_as: Any, admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.accounts.models import MemberState

    response = login_as(admin).post(
        "/o/acme/members/bulk", {"action": "deactivate", "ids": [member.pk, outsider.pk]}
    )
    assert response.status_code == 200
    assert "will apply to 2 members" in response.content.decode()
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE


def test_confirmed_deactivation_reports_done_and_skipped_with_reasons(
    login_as: Any, admin: Any, owner: Any, member: Any, audit_events: Any
) -> None:
    from equipage.accounts.models import MemberState

    response = login_as(admin).post(
        "/o/acme/members/bulk",
        {"action": "deactivate", "ids": [member.pk, owner.pk], "confirmed": "1"},
        follow=True,
    )
    body = response.content.decode()
    assert "1 member deactivated" in body
    assert "The owner cannot be deactivated." in body
    member.refresh_from_db()
    assert member.state == MemberState.DEACTIVATED
    assert "member.deactivated" in audit_events()


def test_select_all_matching_the_filter_deactivates_a_whole_group(
    login_as: Any,
    admin: Any,
    member: Any,
    outsider: Any,
    groups: dict[str, Any],
    owner: Any,
    org: Any,
) -> None:
    from equipage.accounts.models import Member, MemberState

    extra = make_member(org, owner, "Nina", "Nord", groups=[groups["nord"]])
    response = login_as(admin).post(
        "/o/acme/members/bulk",
        {
            "action": "deactivate",
            "all": "1",
            "filter": f"group={groups['nord'].pk}",
            "confirmed": "1",
        },
        follow=True,
    )
    assert "2 members deactivated" in response.content.decode()
    states = dict(
        Member.objects.filter(pk__in=[member.pk, extra.pk, outsider.pk]).values_list("pk", "state")
    )
    assert states[member.pk] == states[extra.pk] == MemberState.DEACTIVATED
    assert states[outsider.pk] == MemberState.ACTIVE


def test_reactivate_needs_no_confirmation(
    login_as: Any, admin: Any, owner: Any, member: Any
) -> None:
    from equipage.accounts.actions import member_deactivate
    from equipage.accounts.models import MemberState

    member_deactivate(actor=owner, member=member)
    body = (
        login_as(admin)
        .post("/o/acme/members/bulk", {"action": "reactivate", "ids": [member.pk]}, follow=True)
        .content.decode()
    )
    assert "1 member reactivated" in body
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE


def test_group_admin_cannot_deactivate_outside_their_groups(
    login_as: Any, group_admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.accounts.models import MemberState

    client = login_as(group_admin)
    client.post(
        "/o/acme/members/bulk",
        {"action": "deactivate", "ids": [member.pk, outsider.pk], "confirmed": "1"},
    )
    member.refresh_from_db()
    outsider.refresh_from_db()
    assert member.state == MemberState.DEACTIVATED
    assert outsider.state == MemberState.ACTIVE  # not even visible to them: silently ignored


def test_plain_member_cannot_run_bulk_actions(login_as: Any, member: Any, outsider: Any) -> None:
    from equipage.accounts.models import MemberState

    response = login_as(member).post(
        "/o/acme/members/bulk", {"action": "deactivate", "ids": [outsider.pk], "confirmed": "1"}
    )
    assert response.status_code == 403
    outsider.refresh_from_db()
    assert outsider.state == MemberState.ACTIVE


def test_ids_of_another_organization_are_ignored(
    login_as: Any, admin: Any, other_member: Any
) -> None:
    from equipage.accounts.models import MemberState

    response = login_as(admin).post(
        "/o/acme/members/bulk", {"action": "deactivate", "ids": [other_member.pk], "confirmed": "1"}
    )
    assert response.status_code == 400
    assert "Select at least one member." in response.content.decode()
    other_member.refresh_from_db()
    assert other_member.state == MemberState.ACTIVE


def test_labels_groups_and_roles_in_bulk(
    login_as: Any,
    admin: Any,
    owner: Any,
    member: Any,
    outsider: Any,
    org: Any,
    groups: dict[str, Any],
) -> None:
    from equipage.accounts.selectors import roles_of
    from equipage.groups.actions import label_create
    from equipage.groups.models import GroupMembership, MemberLabel

    label = label_create(actor=owner, organization=org, name="Nouveau")
    client = login_as(admin)
    ids = [member.pk, outsider.pk]
    client.post("/o/acme/members/bulk", {"action": "label_add", "ids": ids, "label": label.pk})
    assert MemberLabel.objects.filter(label=label).count() == 2
    client.post(
        "/o/acme/members/bulk", {"action": "label_remove", "ids": [member.pk], "label": label.pk}
    )
    assert list(MemberLabel.objects.filter(label=label).values_list("member_id", flat=True)) == [
        outsider.pk
    ]
    client.post(
        "/o/acme/members/bulk", {"action": "group_add", "ids": ids, "group": groups["atelier"].pk}
    )
    assert GroupMembership.objects.filter(group=groups["atelier"], member=member).exists()
    body = client.post(
        "/o/acme/members/bulk",
        {"action": "group_remove", "ids": ids, "group": groups["atelier"].pk},
        follow=True,
    ).content.decode()
    assert "2 members removed from" in body
    client.post(
        "/o/acme/members/bulk",
        {"action": "set_role", "ids": [member.pk], "role": "user_admin", "confirmed": "1"},
    )
    assert roles_of(member) == ["user_admin"]


def test_user_admin_cannot_grant_admin_in_bulk(login_as: Any, user_admin: Any, member: Any) -> None:
    from equipage.accounts.selectors import roles_of

    response = login_as(user_admin).post(
        "/o/acme/members/bulk", {"action": "set_role", "ids": [member.pk], "role": "admin"}
    )
    assert response.status_code == 400
    assert roles_of(member) == ["member"]


def test_delete_is_confirmed_then_moves_to_the_bin(login_as: Any, admin: Any, member: Any) -> None:
    from equipage.accounts.models import Member

    client = login_as(admin)
    first = client.post("/o/acme/members/bulk", {"action": "delete", "ids": [member.pk]})
    assert "Delete: 1 member" in first.content.decode()
    assert Member.objects.get(pk=member.pk).state == "active"
    client.post("/o/acme/members/bulk", {"action": "delete", "ids": [member.pk], "confirmed": "1"})
    assert Member.objects.get(pk=member.pk).state == "binned"


def test_directory_only_offers_actions_the_role_allows(
    login_as: Any, user_admin: Any, admin: Any
) -> None:
    ua = login_as(user_admin).get("/o/acme/members").content.decode()
    assert 'value="deactivate"' in ua
    assert re.search(r'value="label_add"', ua)  # user admins assign labels
    ad = login_as(admin).get("/o/acme/members").content.decode()
    assert 'value="set_role"' in ad
