"""The members directory: who sees it, search, filters, keyset pages, seats header."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_admin_sees_the_directory_with_every_member(
    login_as: Any, admin: Any, member: Any, outsider: Any
) -> None:
    response = login_as(admin).get("/o/acme/members")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mia Member" in body and "Otto Outsider" in body
    assert 'aria-label="Select Mia Member"' in body


def test_home_routes_admins_to_the_directory_and_members_to_their_profile(
    login_as: Any, admin: Any, member: Any
) -> None:
    assert login_as(admin).get("/o/acme/").url == "/o/acme/members"
    response = login_as(member).get("/o/acme/")
    assert response.status_code == 200
    assert "administrators" in response.content.decode()


def test_plain_member_cannot_open_the_directory(login_as: Any, member: Any) -> None:
    client = login_as(member)
    for url in ("/o/acme/members", "/o/acme/members/count", "/o/acme/members/seats"):
        assert client.get(url).status_code == 403


def test_member_of_another_organization_is_sent_to_the_login(
    login_as: Any, other_admin: Any, org: Any
) -> None:
    response = login_as(other_admin).get("/o/acme/members")
    assert response.status_code == 302
    assert response.url.startswith("/o/acme/login")


def test_group_admin_sees_only_members_of_their_groups(
    login_as: Any, group_admin: Any, member: Any, outsider: Any
) -> None:
    body = login_as(group_admin).get("/o/acme/members").content.decode()
    assert "Mia Member" in body
    assert "Otto Outsider" not in body


def test_search_ignores_accents_and_case(login_as: Any, admin: Any, owner: Any, org: Any) -> None:
    make_member(org, owner, "Élodie", "Martin", email="elodie@acme.test")
    make_member(org, owner, "Bruno", "Durand", email="bruno@acme.test")
    body = login_as(admin).get("/o/acme/members?q=ELODIE").content.decode()
    assert "Élodie Martin" in body
    assert "Bruno Durand" not in body


def test_search_finds_part_of_an_email_and_short_words(
    login_as: Any, admin: Any, owner: Any, org: Any
) -> None:
    make_member(org, owner, "Zoé", "Li", email="zoe.li@example.org")
    client = login_as(admin)
    assert "Zoé Li" in client.get("/o/acme/members?q=example.org").content.decode()
    assert "Zoé Li" in client.get("/o/acme/members?q=li zo").content.decode()
    assert "Zoé Li" not in client.get("/o/acme/members?q=xyz").content.decode()


def test_search_index_follows_renames(login_as: Any, admin: Any, owner: Any, org: Any) -> None:
    from equipage.accounts.actions import member_update

    m = make_member(org, owner, "Paul", "Avant", email="p1@acme.test", login="p1")
    member_update(actor=owner, member=m, last_name="Après")
    client = login_as(admin)
    assert "Paul Après" in client.get("/o/acme/members?q=apres").content.decode()
    assert "Paul" not in client.get("/o/acme/members?q=avant").content.decode()


def test_filter_by_group_with_and_without_subgroups(
    login_as: Any, admin: Any, member: Any, outsider: Any, groups: dict[str, Any]
) -> None:
    client = login_as(admin)
    ventes = groups["ventes"].pk
    with_sub = client.get(f"/o/acme/members?group={ventes}").content.decode()
    assert "Mia Member" in with_sub and "Otto Outsider" not in with_sub
    # Mia is in "Ventes Nord", a public subgroup: propagation put her in "Ventes" too.
    direct = client.get(f"/o/acme/members?group={ventes}&subgroups=0").content.decode()
    assert "Otto Outsider" not in direct


def test_filter_by_state_role_and_guide(
    login_as: Any, admin: Any, owner: Any, member: Any, org: Any
) -> None:
    from equipage.accounts.actions import member_deactivate

    member_deactivate(actor=owner, member=member)
    client = login_as(admin)
    deactivated = client.get("/o/acme/members?state=deactivated").content.decode()
    assert "Mia Member" in deactivated and 'aria-label="Adam Admin"' not in deactivated
    admins = client.get("/o/acme/members?role=admin").content.decode()
    assert "Adam Admin" in admins and "Mia Member" not in admins
    reactivate = client.get("/o/acme/members?guide=reactivate").content.decode()
    assert "Mia Member" in reactivate and 'aria-label="Adam Admin"' not in reactivate
    ok = client.get("/o/acme/members?guide=ok").content.decode()
    assert "Adam Admin" in ok and "Mia Member" not in ok


def test_filter_by_label_and_custom_field(
    login_as: Any, admin: Any, owner: Any, member: Any, outsider: Any, org: Any
) -> None:
    from equipage.accounts.actions import custom_field_create, member_set_custom_values
    from equipage.groups.actions import label_create, labels_attach

    label = label_create(actor=owner, organization=org, name="Télétravail")
    labels_attach(actor=owner, label=label, members=[member])
    field = custom_field_create(actor=owner, organization=org, name="Site")
    member_set_custom_values(actor=owner, member=outsider, values={field.key: "Lyon"})
    client = login_as(admin)
    by_label = client.get(f"/o/acme/members?label={label.pk}").content.decode()
    assert "Mia Member" in by_label and "Otto Outsider" not in by_label
    by_field = client.get(f"/o/acme/members?field={field.key}&value=lyon").content.decode()
    assert "Otto Outsider" in by_field and "Mia Member" not in by_field


def test_bounced_filter_shows_members_whose_last_mail_bounced(
    login_as: Any, admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.emails.models import OutboundEmail

    OutboundEmail.objects.filter(member=member).update(delivery_status="bounced")
    if not OutboundEmail.objects.filter(member=member).exists():
        from equipage.core import clock
        from equipage.emails.models import MailKind

        OutboundEmail.objects.create(
            organization=member.organization,
            member=member,
            kind=MailKind.NOTIFICATION,
            to=member.email,
            subject="s",
            body_text="b",
            message_id="<m1@test>",
            next_attempt_at=clock.now(),
            created_at=clock.now(),
            delivery_status="bounced",
        )
    body = login_as(admin).get("/o/acme/members?bounced=1").content.decode()
    assert "Mia Member" in body and "Otto Outsider" not in body
    guide = login_as(admin).get("/o/acme/members?guide=check_email").content.decode()
    assert "Mia Member" in guide


def test_keyset_pages_cover_everyone_once_in_both_directions(
    login_as: Any, admin: Any, owner: Any, org: Any
) -> None:
    import re

    for i in range(7):
        make_member(org, owner, f"Page{i}", f"Zed{i:02d}", email=f"p{i}@acme.test")
    client = login_as(admin)
    seen: list[str] = []
    url = "/o/acme/members?per_page=3"
    pages = []
    while url:
        body = client.get(url).content.decode()
        pages.append(body)
        seen += re.findall(r'name="ids" value="(\d+)"', body)
        nxt = re.search(r'href="\?([^"]*after=[^"]+)" rel="next"', body)
        url = f"/o/acme/members?{nxt.group(1).replace('&amp;', '&')}" if nxt else ""
    assert len(seen) == len(set(seen)) == 9  # owner, admin, 7 made here
    prev = re.search(r'href="\?([^"]*before=[^"]+)" rel="prev"', pages[-1])
    assert prev is not None
    back = client.get(f"/o/acme/members?{prev.group(1).replace('&amp;', '&')}").content.decode()
    assert re.findall(r'name="ids" value="(\d+)"', back) == re.findall(
        r'name="ids" value="(\d+)"', pages[-2]
    )


def test_malformed_cursor_shows_the_first_page(login_as: Any, admin: Any) -> None:
    assert login_as(admin).get("/o/acme/members?after=%%%garbage").status_code == 200


def test_seats_header_warns_near_the_limit(
    login_as: Any, admin: Any, owner: Any, org: Any, operator: Any
) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(actor=operator, organization=org, seats=3)
    body = login_as(admin).get("/o/acme/members/seats").content.decode()
    assert "Seats used: 2 / 3" in body
    assert "Only 1 seat left" in body


def test_count_endpoint_reports_total_and_applicable_actions(
    login_as: Any, admin: Any, member: Any
) -> None:
    body = login_as(admin).get("/o/acme/members/count?q=mia").content.decode()
    assert 'data-total="1"' in body
    assert "deactivate" in body


def test_rows_expose_which_actions_apply(
    login_as: Any, admin: Any, owner: Any, member: Any
) -> None:
    import re

    body = login_as(admin).get("/o/acme/members").content.decode()
    rows = dict(re.findall(r'value="(\d+)" aria-label="[^"]+" data-actions="([^"]*)"', body))
    assert "deactivate" in rows[str(member.pk)]
    assert "reactivate" not in rows[str(member.pk)]
    assert "deactivate" not in rows[str(owner.pk)]  # the owner cannot be deactivated
    assert "deactivate" not in rows[str(admin.pk)]  # nor oneself


def test_select_all_offers_invitation_actions_only_where_pending_members_are(
    login_as: Any, admin: Any, owner: Any, org: Any, member: Any
) -> None:
    import re

    from equipage.accounts.actions import member_create
    from equipage.accounts.models import MemberState
    from equipage.invitations.actions import members_invite

    def applies(query: str) -> set[str]:
        body = login_as(admin).get(f"/o/acme/members/count?{query}").content.decode()
        found = re.search(r'data-actions="([^"]*)"', body)
        assert found, body
        return set(found.group(1).split())

    made = [
        member_create(actor=owner, organization=org, first_name="Zoé", last_name=f"Z{i}",
                      email=f"z{i}@acme.test", state=MemberState.CREATED)
        for i in range(2)
    ]  # fmt: skip
    assert {"invite"} <= applies("state=created")
    assert not {"invite", "resend", "revoke"} & applies("state=active")
    members_invite(actor=owner, organization=org, members=made[:1])
    assert {"resend", "revoke", "invite"} <= applies("q=zoe")
    assert not {"resend", "revoke"} & applies("state=created")


def test_a_page_of_fifty_members_costs_as_many_queries_as_a_page_of_five(
    login_as: Any, admin: Any, owner: Any, org: Any
) -> None:
    """Rows are read in batches: the facts of 50 members are one statement (#20)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(55):
        make_member(org, owner, f"Prénom{i}", f"Nom{i}", login=f"m{i}", email=f"m{i}@x.test")
    client = login_as(admin)

    def queries(per_page: int) -> int:
        client.get(f"/o/acme/members?per_page={per_page}")
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"/o/acme/members?per_page={per_page}").content.decode()
        assert body.count('name="ids"') == per_page
        return len(ctx.captured_queries)

    few, fifty = queries(5), queries(50)
    assert few == fifty, (few, fifty)
    assert fifty <= 18, fifty  # one of them: the session record's check (issue #18.4)
