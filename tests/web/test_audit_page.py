"""The console's audit page: owners and admins read who did what, filter, page and export it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from equipage.audit.models import AuditEvent
from equipage.audit.selectors import AuditFilters, Cursor, audit_page

pytestmark = pytest.mark.django_db

URL = "/o/acme/audit/"


def _client(member: Any, language: str) -> Client:
    client = Client()
    client.force_login(member, backend="equipage.accounts.backends.MemberBackend")
    client.cookies["django_language"] = language
    return client


def _text(response: Any) -> str:
    return response.content.decode()


def test_owner_reads_a_deactivation_in_english_words(
    owner: Any, admin: Any, member: Any, login_as: Callable[[Any], Client]
) -> None:
    from equipage.accounts.actions import member_deactivate, member_set_roles

    member_deactivate(actor=admin, member=member)
    member_set_roles(actor=owner, member=admin, roles=["user_admin"])
    page = _text(login_as(owner).get(URL))
    assert "Member deactivated" in page and "Roles changed" in page
    assert "State</span> Active" in page and "State</span> Deactivated" in page
    assert "Roles</span> Admin" in page and "Roles</span> User admin" in page
    assert '"state"' not in page and "deactivated&quot;" not in page  # no raw JSON
    assert "Console" in page or "Command line" in page


def test_the_same_events_read_in_french(owner: Any, admin: Any, member: Any) -> None:
    from equipage.accounts.actions import member_deactivate, member_set_roles

    member_deactivate(actor=admin, member=member)
    member_set_roles(actor=owner, member=admin, roles=["user_admin"])
    page = _text(_client(owner, "fr").get(URL))
    assert "Journal d’audit" in page or "Journal d'audit" in page
    assert "Membre désactivé" in page
    assert "État</span> Activé" in page and "État</span> Désactivé" in page
    assert "Rôles</span> Admin" in page and "Rôles</span> Administrateur d’utilisateurs" in page


def test_admin_sees_the_page_and_its_link_but_user_admin_and_members_are_refused(
    owner: Any, admin: Any, user_admin: Any, member: Any, login_as: Callable[[Any], Client]
) -> None:
    assert login_as(admin).get(URL).status_code == 200
    assert f'href="{URL}"' in _text(login_as(admin).get("/o/acme/members"))
    for refused in (user_admin, member):
        client = login_as(refused)
        assert client.get(URL).status_code in (403, 404)
        assert client.get(URL + "export.csv").status_code in (403, 404)
    assert f'href="{URL}"' not in _text(login_as(user_admin).get("/o/acme/members"))


def test_another_organizations_events_are_never_shown(
    owner: Any,
    member: Any,
    other_admin: Any,
    other_member: Any,
    login_as: Callable[[Any], Client],
) -> None:
    from equipage.accounts.actions import member_deactivate

    member_deactivate(actor=other_admin, member=other_member)
    client = login_as(owner)
    page = _text(client.get(URL))
    assert "Globexmember" not in page and "Gina" not in page
    # The attack: filter by the other tenant's member, by id and by login.
    assert client.get(URL, {"member_id": other_member.pk}).status_code == 404
    page = _text(client.get(URL, {"member": other_member.login}))
    assert "No event matches" in page and "Gina" not in page
    page = _text(client.get(URL, {"actor": other_admin.login}))
    assert "No event matches" in page
    export = b"".join(client.get(URL + "export.csv", {"member": other_member.login}))
    assert b"Gina" not in export


def test_filters_by_member_actor_type_and_dates(
    owner: Any,
    admin: Any,
    member: Any,
    outsider: Any,
    frozen_clock: Any,
    login_as: Callable[[Any], Client],
) -> None:
    from equipage.accounts.actions import member_deactivate, member_reactivate

    member_deactivate(actor=admin, member=member)
    frozen_clock.advance(days=3)
    member_deactivate(actor=owner, member=outsider)
    member_reactivate(actor=owner, member=member)
    events = AuditEvent.objects.filter(organization=owner.organization)

    def shown(**query: Any) -> set[int]:
        page = _text(login_as(owner).get(URL, query))
        return {e.pk for e in events if f'id="event-{e.pk}"' in page}

    about_member = set(events.filter(member=member).values_list("pk", flat=True))
    assert shown(member=member.login) == about_member
    by_admin = set(events.filter(actor=admin).values_list("pk", flat=True))
    assert shown(actor=admin.email) == by_admin
    deactivations = set(events.filter(event_type="member.deactivated").values_list("pk", flat=True))
    assert shown(type="member.deactivated") == deactivations
    today = frozen_clock.now.date().isoformat()
    recent = set(
        events.filter(created_at__date=frozen_clock.now.date()).values_list("pk", flat=True)
    )
    assert shown(since=today, until=today) == recent
    assert shown(type="member.deactivated", actor=owner.login) == set(
        events.filter(event_type="member.deactivated", actor=owner).values_list("pk", flat=True)
    )


def test_keyset_pages_stay_stable_while_events_are_added(
    owner: Any, admin: Any, member: Any
) -> None:
    from equipage.accounts.actions import member_update

    for n in range(7):
        member_update(actor=admin, member=member, job_title=f"Poste {n}")
    filters = AuditFilters(member_id=member.pk, event_type="member.updated")
    first, after = audit_page(owner.org_id, filters, None, size=3)
    assert after is not None
    # New events arrive between two pages: the next page neither repeats nor skips any.
    member_update(actor=admin, member=member, job_title="Poste nouveau")
    second, after = audit_page(owner.org_id, filters, Cursor.decode(after.encode()), size=3)
    third, after = audit_page(owner.org_id, filters, after, size=3)
    assert after is None
    seen = [e.pk for e in first + second + third]
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)


def test_pages_are_linked_by_cursor_and_a_bad_cursor_gives_the_first_page(
    owner: Any, admin: Any, member: Any, login_as: Callable[[Any], Client]
) -> None:
    from equipage.accounts.actions import member_update

    for n in range(55):
        member_update(actor=admin, member=member, job_title=f"Poste {n}")
    client = login_as(owner)
    page = _text(client.get(URL, {"type": "member.updated"}))
    assert page.count('id="event-') == 50 and 'rel="next"' in page
    link = page.split('rel="next"')[0].rsplit('href="?', 1)[1].split('"')[0]
    following = _text(client.get(URL + "?" + link.replace("&amp;", "&")))
    assert following.count('id="event-') == 5 and 'rel="next"' not in following
    assert _text(client.get(URL, {"after": "nonsense"})).count('id="event-') == 50


def test_csv_export_is_readable_filtered_and_neutralises_formulas(
    owner: Any, admin: Any, member: Any, login_as: Callable[[Any], Client]
) -> None:
    from equipage.groups.actions import label_create, labels_attach

    label = label_create(actor=admin, organization=owner.organization, name="=cmd|'/c calc'!A1")
    labels_attach(actor=admin, label=label, members=[member])
    response = login_as(owner).get(URL + "export.csv", {"member": member.login})
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["When", "Event", "By"]
    attached = [r for r in rows if r[1] == "Label attached"]
    assert attached and attached[0][7] == "Label: =cmd|'/c calc'!A1"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert {r[1] for r in rows[1:]} <= {"Member created", "Added to a group", "Label attached"}
    assert AuditEvent.objects.filter(event_type="audit.exported", actor=owner).exists()


def test_a_hostile_target_label_is_neutralised_in_the_export(
    owner: Any, admin: Any, login_as: Callable[[Any], Client]
) -> None:
    from equipage.groups.actions import label_create

    label_create(actor=admin, organization=owner.organization, name='=HYPERLINK("x")')
    body = b"".join(login_as(owner).get(URL + "export.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    created = [r for r in rows if r[1] == "Label created"]
    assert created and created[0][3] == '\'=HYPERLINK("x")'


def test_french_export_uses_semicolons_and_french_words(
    owner: Any, admin: Any, member: Any
) -> None:
    from equipage.accounts.actions import member_deactivate

    member_deactivate(actor=admin, member=member)
    body = b"".join(_client(owner, "fr").get(URL + "export.csv").streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Quand"
    (row,) = (r for r in rows[1:] if r[1] == "Membre désactivé")
    assert row[6] == "État: Activé" and row[7] == "État: Désactivé"


def test_failed_logins_show_as_an_unidentified_visitor_with_their_address(
    owner: Any, member: Any, login_as: Callable[[Any], Client]
) -> None:
    Client().post(
        "/o/acme/login",
        {"identifier": member.login, "password": "wrong"},
        REMOTE_ADDR="203.0.113.9",
    )
    page = _text(login_as(owner).get(URL, {"type": "member.login_failed"}))
    assert "Failed login" in page and "Unidentified visitor" in page and "203.0.113.9" in page
    assert "Times</span> 1" in page


def test_the_profile_links_to_the_members_events_for_those_allowed(
    owner: Any, user_admin: Any, member: Any, login_as: Callable[[Any], Client]
) -> None:
    link = f"{URL}?member_id={member.pk}"
    assert link in _text(login_as(owner).get(f"/o/acme/members/{member.pk}/"))
    assert link not in _text(login_as(user_admin).get(f"/o/acme/members/{member.pk}/"))
    page = _text(login_as(owner).get(URL, {"member_id": member.pk}))
    assert page.count('id="event-') == AuditEvent.objects.filter(member=member).count()
