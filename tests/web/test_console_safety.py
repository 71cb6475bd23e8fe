"""Issue 15 on the server: safe role defaults, exact confirmations, results and undo.

Undo is an action of its own: the signed token is checked (tampered, expired, another
tenant's or another admin's token is refused) and the inverse runs through the actions.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import signing

from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def _undo_token(body: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', body)
    assert found, "no « Undo » offered"
    return found.group(1)


def test_add_member_form_preselects_the_member_role(login_as: Any, admin: Any) -> None:
    body = login_as(admin).get("/o/acme/members/new").content.decode()
    checked = re.findall(r'name="roles" value="(\w+)"[^>]*checked', body)
    assert checked == ["member"]


def test_bulk_role_picker_preselects_the_member_role(login_as: Any, admin: Any) -> None:
    body = login_as(admin).get("/o/acme/members").content.decode()
    picker = body[body.index('id="bulk-role"') :]
    picker = picker[: picker.index("</select>")]
    assert re.findall(r'value="(\w+)" selected', picker) == ["member"]


def test_bulk_role_change_asks_first_naming_the_role_and_the_people(
    login_as: Any, admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.accounts.selectors import roles_of

    body = (
        login_as(admin)
        .post(
            "/o/acme/members/bulk",
            {"action": "set_role", "ids": [member.pk, outsider.pk], "role": "user_admin"},
        )
        .content.decode()
    )
    assert "Change role “User administrator”" in body or "“User admin" in body
    assert "Mia Member" in body and "Otto Outsider" in body
    assert "Change role: 2 members" in body
    assert roles_of(member) == ["member"]


def test_delete_confirmation_names_people_and_says_they_go_to_the_bin(
    login_as: Any, admin: Any, owner: Any, member: Any
) -> None:
    body = (
        login_as(admin)
        .post("/o/acme/members/bulk", {"action": "delete", "ids": [member.pk, owner.pk]})
        .content.decode()
    )
    assert "This will apply to 1 member:" in body and "Mia Member" in body
    assert "1 selected member will be skipped" in body and "Olivia Owner" in body
    assert "They go to the bin" in body and "restore them" in body
    assert "Delete: 1 member" in body  # the button counts what the text counts


def test_result_on_the_directory_names_done_and_skipped_with_why(
    login_as: Any, admin: Any, owner: Any, member: Any
) -> None:
    response = login_as(admin).post(
        "/o/acme/members/bulk",
        {"action": "deactivate", "ids": [member.pk, owner.pk], "confirmed": "1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/o/acme/members"
    body = response.content.decode()
    assert "1 member deactivated" in body
    assert "1 skipped: The owner cannot be deactivated." in body
    assert "Undo" in body


def test_undo_reactivates_through_the_actions_and_is_audited(
    login_as: Any, admin: Any, member: Any, audit_events: Any
) -> None:
    from equipage.accounts.models import MemberState

    client = login_as(admin)
    body = client.post(
        "/o/acme/members/bulk",
        {"action": "deactivate", "ids": [member.pk], "confirmed": "1"},
        follow=True,
    ).content.decode()
    undone = client.post(
        "/o/acme/members/bulk/undo", {"token": _undo_token(body)}, follow=True
    ).content.decode()
    assert "Undone: 1 member reactivated." in undone
    member.refresh_from_db()
    assert member.state == MemberState.ACTIVE
    assert "member.reactivated" in audit_events()


def test_undo_of_a_role_change_gives_back_each_members_former_roles(
    login_as: Any, admin: Any, member: Any, user_admin: Any
) -> None:
    from equipage.accounts.selectors import roles_of

    client = login_as(admin)
    body = client.post(
        "/o/acme/members/bulk",
        {"action": "set_role", "ids": [member.pk, user_admin.pk], "role": "admin"},
    ).content.decode()
    assert "Change role: 2 members" in body
    body = client.post(
        "/o/acme/members/bulk",
        {
            "action": "set_role",
            "ids": [member.pk, user_admin.pk],
            "role": "admin",
            "confirmed": "1",
        },
        follow=True,
    ).content.decode()
    assert roles_of(member) == ["admin"]
    client.post("/o/acme/members/bulk/undo", {"token": _undo_token(body)})
    assert roles_of(member) == ["member"]
    assert roles_of(user_admin) == ["user_admin"]


def test_undo_of_a_label_removes_it_only_from_those_it_was_added_to(
    login_as: Any, admin: Any, owner: Any, org: Any, member: Any, outsider: Any
) -> None:
    from equipage.groups.actions import label_create, labels_attach
    from equipage.groups.models import MemberLabel

    label = label_create(actor=owner, organization=org, name="Bénévole")
    labels_attach(actor=owner, label=label, members=[outsider.pk])
    client = login_as(admin)
    body = client.post(
        "/o/acme/members/bulk",
        {"action": "label_add", "ids": [member.pk, outsider.pk], "label": label.pk},
        follow=True,
    ).content.decode()
    client.post("/o/acme/members/bulk/undo", {"token": _undo_token(body)})
    holders = set(MemberLabel.objects.filter(label=label).values_list("member_id", flat=True))
    assert holders == {outsider.pk}


def _deactivate_token(client: Any, member: Any) -> str:
    body = client.post(
        "/o/acme/members/bulk",
        {"action": "deactivate", "ids": [member.pk], "confirmed": "1"},
        follow=True,
    ).content.decode()
    return _undo_token(body)


def test_a_tampered_undo_token_is_refused(login_as: Any, admin: Any, member: Any) -> None:
    from equipage.accounts.models import MemberState

    client = login_as(admin)
    token = _deactivate_token(client, member)
    # Attack: swap in another payload under the old signature.
    forged = signing.dumps({"o": 1, "a": 1, "k": "reactivate", "ids": [member.pk]}, salt="x")
    for bad in (token[:-2] + "xx", forged, ""):
        body = client.post(
            "/o/acme/members/bulk/undo", {"token": bad}, follow=True
        ).content.decode()
        assert "This undo link is not valid." in body
    member.refresh_from_db()
    assert member.state == MemberState.DEACTIVATED


def test_an_undo_token_expires_after_five_minutes(
    login_as: Any, admin: Any, member: Any, monkeypatch: Any
) -> None:
    import time

    from equipage.accounts.models import MemberState

    client = login_as(admin)
    token = _deactivate_token(client, member)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 301)
    body = client.post("/o/acme/members/bulk/undo", {"token": token}, follow=True).content.decode()
    assert "too late to undo" in body
    member.refresh_from_db()
    assert member.state == MemberState.DEACTIVATED


def test_another_tenants_or_another_admins_token_is_refused(
    login_as: Any, admin: Any, owner: Any, org: Any, member: Any, other_admin: Any
) -> None:
    from equipage.accounts.models import MemberState

    token = _deactivate_token(login_as(admin), member)
    other = login_as(other_admin).post("/o/globex/members/bulk/undo", {"token": token}, follow=True)
    assert "This undo link is not valid." in other.content.decode()
    colleague = make_member(org, owner, "Clea", "Collegue", roles=["admin"])
    again = login_as(colleague).post("/o/acme/members/bulk/undo", {"token": token}, follow=True)
    assert "This undo link is not valid." in again.content.decode()
    member.refresh_from_db()
    assert member.state == MemberState.DEACTIVATED


def test_deletion_is_undone_by_taking_the_member_out_of_the_bin(
    login_as: Any, admin: Any, member: Any
) -> None:
    from equipage.accounts.models import MemberState

    client = login_as(admin)
    body = client.post(
        "/o/acme/members/bulk",
        {"action": "delete", "ids": [member.pk], "confirmed": "1"},
        follow=True,
    ).content.decode()
    assert "1 member deleted" in body
    member.refresh_from_db()
    assert member.state == MemberState.BINNED
    token = re.search(r'name="token" value="([^"]+)"', body)
    assert token is not None, "the deletion offers no « Annuler »"
    client.post("/o/acme/members/bulk/undo", {"token": token.group(1)}, follow=True)
    member.refresh_from_db()
    assert member.state != MemberState.BINNED


def test_invitee_is_named_by_email_with_a_link_and_a_labelled_checkbox(
    login_as: Any, admin: Any, org: Any
) -> None:
    from equipage.invitations.actions import invitations_create
    from equipage.invitations.models import Invitation

    invitations_create(
        actor=admin, organization=org, emails="ines@acme.test", roles=["member"], group_ids=[]
    )
    pk = Invitation.objects.get(email="ines@acme.test").member_id
    client = login_as(admin)
    body = client.get("/o/acme/members").content.decode()
    assert f'<a href="/o/acme/members/{pk}/">ines@acme.test</a>' in body
    assert 'aria-label="Select ines@acme.test"' in body
    profile = client.get(f"/o/acme/members/{pk}/").content.decode()
    assert "<h1>ines@acme.test</h1>" in profile
    assert "Resend the invitation" in profile and "Yes, cancel the invitation" in profile


def test_invitee_profile_cancels_then_invites_again(login_as: Any, admin: Any, org: Any) -> None:
    from equipage.accounts.models import Member, MemberState
    from equipage.invitations.actions import invitations_create
    from equipage.invitations.models import Invitation

    invitations_create(
        actor=admin, organization=org, emails="ines@acme.test", roles=["member"], group_ids=[]
    )
    pk = Invitation.objects.get(email="ines@acme.test").member_id
    client = login_as(admin)
    client.post(f"/o/acme/members/{pk}/invitation", {"op": "cancel"})
    assert Member.objects.get(pk=pk).state == MemberState.CREATED
    assert Invitation.objects.get(member_id=pk).status == "cancelled"
    page = client.get("/o/acme/members").content.decode()
    assert "Invite ines@acme.test by e-mail (no access yet)" in page  # the envelope invites
    client.post(f"/o/acme/members/{pk}/row", {"action": "invite"})
    assert Member.objects.get(pk=pk).state == MemberState.INVITED


def test_plain_member_cannot_cancel_an_invitation_or_use_row_actions(
    login_as: Any, admin: Any, org: Any, member: Any, outsider: Any
) -> None:
    from equipage.accounts.models import MemberState
    from equipage.invitations.actions import invitations_create
    from equipage.invitations.models import Invitation

    invitations_create(
        actor=admin, organization=org, emails="ines@acme.test", roles=["member"], group_ids=[]
    )
    pk = Invitation.objects.get(email="ines@acme.test").member_id
    client = login_as(member)
    assert client.post(f"/o/acme/members/{pk}/invitation", {"op": "cancel"}).status_code == 403
    assert Invitation.objects.get(member_id=pk).status == "pending"
    client.post(f"/o/acme/members/{outsider.pk}/row", {"action": "deactivate", "confirmed": "1"})
    outsider.refresh_from_db()
    assert outsider.state == MemberState.ACTIVE


def test_row_menu_offers_only_what_applies(
    login_as: Any, admin: Any, owner: Any, member: Any
) -> None:
    body = login_as(admin).get("/o/acme/members").content.decode()
    rows = {
        m.pk: next(r for r in body.split("<tr data-state")[1:] if f'value="{m.pk}"' in r)
        for m in (member, owner)
    }
    assert 'value="deactivate"' in rows[member.pk] and 'value="reactivate"' not in rows[member.pk]
    assert "Open the profile" in rows[owner.pk]
    assert 'value="deactivate"' not in rows[owner.pk]  # the owner cannot be deactivated


def test_mail_banner_is_for_those_who_run_the_organization(
    login_as: Any, owner: Any, user_admin: Any, settings: Any
) -> None:
    settings.EQUIPAGE_MAIL_CONFIGURED = False
    assert "outgoing mail" in login_as(owner).get("/o/acme/members").content.decode()
    assert "outgoing mail" not in login_as(user_admin).get("/o/acme/members").content.decode()


def test_edit_sets_one_role_and_labels_for_the_whole_selection_then_undoes_all(
    login_as: Any, admin: Any, owner: Any, org: Any, member: Any, outsider: Any
) -> None:
    from equipage.accounts.selectors import roles_of
    from equipage.groups.actions import label_create
    from equipage.groups.models import MemberLabel

    label = label_create(actor=owner, organization=org, name="Bénévole")
    client = login_as(admin)
    ids = [member.pk, outsider.pk]
    form = client.post("/o/acme/members/bulk", {"action": "edit", "ids": ids}).content.decode()
    assert "Edit 2 members" in form and "Mia Member" in form and "Otto Outsider" in form
    assert re.search(r'<option value="" selected>Unchanged</option>', form)
    body = client.post(
        "/o/acme/members/bulk/edit",
        {"ids": ids, "role": "user_admin", "add_label": [label.pk]},
        follow=True,
    ).content.decode()
    assert "2 members now have the role “User admin" in body
    assert "Label “Bénévole” added to 2 members" in body
    assert roles_of(member) == ["user_admin"]
    assert MemberLabel.objects.filter(label=label).count() == 2
    client.post("/o/acme/members/bulk/undo", {"token": _undo_token(body)})
    assert roles_of(member) == ["member"] and roles_of(outsider) == ["member"]
    assert MemberLabel.objects.filter(label=label).count() == 0


def test_edit_with_nothing_chosen_changes_nothing(
    login_as: Any, admin: Any, member: Any, audit_events: Any
) -> None:
    before = audit_events()
    body = (
        login_as(admin)
        .post("/o/acme/members/bulk/edit", {"ids": [member.pk], "role": ""}, follow=True)
        .content.decode()
    )
    assert "Nothing to change." in body
    assert audit_events() == before


def test_group_admin_cannot_grant_roles_through_edit(
    login_as: Any, group_admin: Any, member: Any
) -> None:
    from equipage.accounts.selectors import roles_of

    login_as(group_admin).post("/o/acme/members/bulk/edit", {"ids": [member.pk], "role": "admin"})
    assert roles_of(member) == ["member"]


def test_invitation_form_preselects_the_member_role_only(login_as: Any, admin: Any) -> None:
    body = login_as(admin).get("/o/acme/invitations/new").content.decode()
    checked = re.findall(r'name="roles" value="(\w+)"[^>]*checked', body)
    assert checked == ["member"]


def test_empty_search_says_what_to_do_next(login_as: Any, admin: Any) -> None:
    body = login_as(admin).get("/o/acme/members?q=zzzz").content.decode()
    assert "No member matches this search." in body
    assert "Clear the filters" in body and "add this person" in body


def test_the_import_form_presets_add_and_update_not_a_sync(login_as: Any, admin: Any) -> None:
    """A sync deactivates everyone the file lacks: the coordinator must choose it."""
    page = login_as(admin).get("/o/acme/members/import/").content.decode()
    assert '<option value="upsert" selected>' in page
    assert '<option value="sync" selected>' not in page
