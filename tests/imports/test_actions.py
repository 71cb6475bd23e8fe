"""Applying a roster: all or nothing, through the actions layer, with audit and seats."""

from __future__ import annotations

import io
from typing import Any

import pytest

from equipage.accounts.models import Member, MemberRole
from equipage.audit.models import AuditEvent
from equipage.core.errors import Conflict, NotFound, PermissionDenied
from equipage.emails.models import OutboundEmail
from equipage.imports.actions import roster_export
from tests.imports.helpers import csv_bytes, run_import

pytestmark = pytest.mark.django_db


def state_of(org: Any) -> list[tuple[str, str, str, str, str]]:
    return sorted(
        Member.objects.filter(organization=org).values_list(
            "login", "first_name", "last_name", "email", "state"
        )
    )


def roster(*rows: list[str]) -> bytes:
    return csv_bytes([list(r) for r in rows])


def export(org: Any, actor: Any, fmt: str = "csv", lang: str = "") -> bytes:
    return b"".join(roster_export(actor=actor, organization=org, fmt=fmt, language=lang))


# Seed 000's three sentences.


def test_members_in_file_and_not_in_the_list_are_added(org, admin, owner) -> None:  # type: ignore[no-untyped-def]
    report = run_import(
        org, admin, roster(["", "Œuvray", "Élodie", "elodie@x.fr", "", "Activé"]), mode="upsert"
    )
    assert (report.applied, report.added) == (True, 1)
    new = Member.objects.get(organization=org, login="elodie.oeuvray")
    assert new.state == "active" and new.search_text.startswith("elodie oeuvray")
    assert list(MemberRole.objects.filter(member=new).values_list("role", flat=True)) == ["member"]
    # The default first-password policy: a single-use set-password link by mail.
    assert not new.uses_temp_password and not new.has_usable_password()
    assert OutboundEmail.objects.get(member=new).kind == "set_password"


def test_shared_policy_gives_new_members_the_organizations_temporary_password(  # type: ignore[no-untyped-def]
    org, admin, owner
) -> None:
    from equipage.organizations.actions import organization_update

    organization_update(
        actor=owner,
        organization=org,
        first_password_policy="shared",
        temporary_password="kq7m-x3fa-9wpt",
    )
    run_import(
        org, admin, roster(["", "Œuvray", "Élodie", "elodie@x.fr", "", "Activé"]), mode="upsert"
    )
    new = Member.objects.get(organization=org, login="elodie.oeuvray")
    assert new.uses_temp_password and new.must_change_password and not new.has_usable_password()
    assert not OutboundEmail.objects.filter(member=new).exists()


def test_members_in_file_and_in_the_list_are_updated(org, admin, member) -> None:  # type: ignore[no-untyped-def]
    data = roster(
        [
            member.login,
            "Nouveau-Nom",
            member.first_name,
            member.email,
            "Mot de passe crypté",
            "Activé",
        ]
    )
    report = run_import(org, admin, data, mode="upsert")
    assert (report.updated, report.added, report.deactivated) == (1, 0, 0)
    member.refresh_from_db()
    assert member.last_name == "Nouveau-Nom" and member.check_password("member-pass-123")
    event = AuditEvent.objects.get(member=member, event_type="member.updated")
    assert event.before == {"last_name": "Member"}
    assert event.after == {"last_name": "Nouveau-Nom", "import": event.after["import"]}


def test_members_absent_from_file_and_in_the_list_are_deactivated(
    org, admin, member, outsider
) -> None:  # type: ignore[no-untyped-def]
    data = roster([member.login, member.last_name, member.first_name, member.email, "", "Activé"])
    report = run_import(org, admin, data)
    assert report.applied and report.deactivated == 1
    outsider.refresh_from_db()
    assert outsider.state == "deactivated" and outsider.session_version == 1
    assert {s["login"] for s in report.skipped} == {"owner", admin.login}
    assert AuditEvent.objects.filter(member=outsider, event_type="member.deactivated").count() == 1


def test_reimporting_the_same_file_changes_nothing(org, admin, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    data = roster(
        ["", "Dupont", "Jean", "jean@x.fr", "", "Activé"],
        ["", "Martin", "Anne", "", "", "Désactivé"],
    )
    run_import(org, admin, data)
    before, events = state_of(org), AuditEvent.objects.count()
    report = run_import(org, admin, data)
    assert (report.added, report.updated, report.deactivated, report.unchanged) == (0, 0, 0, 2)
    assert state_of(org) == before
    assert (
        AuditEvent.objects.filter(event_type__startswith="member.").count()
        == AuditEvent.objects.filter(event_type__startswith="member.").count()
    )
    assert AuditEvent.objects.count() == events + 1  # only the import.applied summary


def test_export_then_reimport_is_a_no_op_in_both_languages_and_formats(
    org, admin, member, outsider, groups
) -> None:  # type: ignore[no-untyped-def]
    from equipage.groups.actions import label_create, labels_attach

    label = label_create(actor=admin, organization=org, name="Secouriste")
    labels_attach(actor=admin, label=label, members=[member])
    for fmt, lang in (("csv", "fr"), ("csv", "en"), ("xlsx", "fr"), ("xlsx", "en")):
        before = state_of(org)
        report = run_import(org, admin, export(org, admin, fmt, lang), filename=f"x.{fmt}")
        assert report.errors == [], (fmt, lang, report.errors)
        assert (report.added, report.updated, report.deactivated) == (0, 0, 0), (
            fmt,
            lang,
            report.changes,
        )
        assert state_of(org) == before


def test_export_then_reimport_of_members_without_a_name_is_a_no_op(org, admin, member) -> None:  # type: ignore[no-untyped-def]
    # As `org create` makes an owner from an e-mail, or an identity provider sends a user
    # without name.familyName: a stored empty name, exported as an empty cell.
    Member.objects.filter(pk=member.pk).update(last_name="")
    Member.objects.filter(pk=admin.pk).update(first_name="")
    before = state_of(org)
    report = run_import(org, admin, export(org, admin, "csv", "fr"))
    assert report.errors == [] and report.applied is True
    assert (report.added, report.updated, report.deactivated) == (0, 0, 0)
    assert state_of(org) == before
    assert Member.objects.get(pk=member.pk).last_name == ""


def test_export_writes_spec_columns_placeholder_and_state_words(org, admin, member) -> None:  # type: ignore[no-untyped-def]
    text = export(org, admin, "csv", "fr").decode("utf-8")
    assert text.startswith(
        "\ufeffIdentifiant;Nom;Prénom;Adresse e-mail;Mot de passe;État;Groupes;Rôles;Étiquettes"
    )
    line = next(ln for ln in text.splitlines() if ln.startswith(member.login))
    assert "Mot de passe crypté;Activé" in line
    en = export(org, admin, "csv", "en").decode("utf-8")
    assert en.startswith(
        "\ufeffLogin,Last name,First name,Email,Password,State,Groups,Roles,Labels"
    )
    assert "Encrypted password,Active" in en


def test_export_neutralises_formula_cells(org, admin) -> None:  # type: ignore[no-untyped-def]
    run_import(org, admin, roster(["", "=HYPERLINK(1)", "@cmd", "", "", "Activé"]), mode="upsert")
    text = export(org, admin, "csv", "fr").decode("utf-8")
    assert "'=HYPERLINK(1)" in text and "'@cmd" in text
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(export(org, admin, "xlsx", "fr")))
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert "'=HYPERLINK(1)" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_dry_run_changes_nothing_and_reports_exactly_what_apply_does(
    org, admin, member, outsider
) -> None:  # type: ignore[no-untyped-def]
    data = roster(
        [member.login, "Autre", member.first_name, member.email, "", "Activé"],
        ["", "Neuf", "Nina", "nina@x.fr", "", "Activé"],
    )
    before, events = state_of(org), AuditEvent.objects.count()
    preview = run_import(org, admin, data, dry_run=True)
    assert state_of(org) == before and AuditEvent.objects.count() == events
    applied = run_import(org, admin, data)
    keys = ("added", "updated", "deactivated", "unchanged", "skipped")
    assert [preview.as_dict()[k] for k in keys] == [applied.as_dict()[k] for k in keys]
    assert {c["login"]: c["change"] for c in preview.changes} == {
        member.login: "updated",
        "nina.neuf": "added",
        outsider.login: "deactivated",
    }


def test_a_file_with_any_error_changes_nothing(org, admin, member) -> None:  # type: ignore[no-untyped-def]
    data = roster(["", "Bon", "Jean", "", "", "Activé"], ["", "", "Sans nom", "", "", "Activé"])
    before = state_of(org)
    report = run_import(org, admin, data)
    assert report.applied is False
    assert report.errors == [
        {
            "line": 3,
            "column": "Nom",
            "message": "This cell is required.",
            "code": "cell_required",
            "who": "Sans nom",
        }
    ]
    assert state_of(org) == before


def test_a_crash_mid_apply_changes_nothing(org, admin, member, outsider, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import equipage.imports.actions as actions

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(actions, "_write_relations", boom)
    data = roster(
        ["", "Neuf", "Nina", "nina@x.fr", "", "Activé"],
        [member.login, "X", "Y", member.email, "", "Activé"],
    )
    before, events = state_of(org), AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        run_import(org, admin, data)
    assert state_of(org) == before and AuditEvent.objects.count() == events
    from equipage.imports.models import ImportJob

    assert not ImportJob.objects.filter(lock=True).exists()  # the lock is released


def test_a_second_import_while_one_runs_is_refused(org, admin) -> None:  # type: ignore[no-untyped-def]
    from equipage.core import clock
    from equipage.imports.models import ImportJob

    ImportJob.objects.create(
        organization=org,
        status="running",
        lock=True,
        pid=None,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    with pytest.raises(Conflict, match="in progress"):
        run_import(org, admin, roster(["", "A", "B", "", "", "Activé"]))


def test_a_lock_left_by_a_dead_process_is_broken(org, admin) -> None:  # type: ignore[no-untyped-def]
    import socket

    from equipage.core import clock
    from equipage.imports.models import ImportJob

    stale = ImportJob.objects.create(
        organization=org,
        status="running",
        lock=True,
        pid=2**22 + 12345,
        host=socket.gethostname(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    assert run_import(org, admin, roster(["", "A", "B", "", "", "Activé"]), mode="upsert").applied
    stale.refresh_from_db()
    assert (stale.lock, stale.status) == (None, "failed")


def test_seats_are_checked_before_anything_is_written(org, admin, owner) -> None:  # type: ignore[no-untyped-def]
    org.seats = 3
    org.save(update_fields=["seats"])
    data = roster(*[["", f"Nom{i}", "P", "", "", "Activé"] for i in range(2)])
    before = state_of(org)
    report = run_import(org, admin, data, mode="upsert")
    assert report.applied is False and "seats" in report.errors[0]["message"]
    assert report.errors[0]["line"] == 0
    assert state_of(org) == before
    assert run_import(org, admin, data, mode="upsert", dry_run=True).errors[0]["line"] == 0


def test_sync_freeing_seats_can_add_in_the_same_file(org, admin, owner, member) -> None:  # type: ignore[no-untyped-def]
    org.seats = 3
    org.save(update_fields=["seats"])
    data = roster(
        [owner.login, owner.last_name, owner.first_name, owner.email, "", "Activé"],
        [admin.login, admin.last_name, admin.first_name, admin.email, "", "Activé"],
        ["", "Neuf", "Nina", "", "", "Activé"],
    )
    report = run_import(org, admin, data)
    assert report.applied and (report.added, report.deactivated) == (1, 1)


def test_mass_deactivation_needs_explicit_confirmation(org, admin) -> None:  # type: ignore[no-untyped-def]
    run_import(
        org,
        admin,
        roster(*[["", f"Nom{i}", "P", "", "", "Activé"] for i in range(12)]),
        mode="upsert",
    )
    me = roster([admin.login, admin.last_name, admin.first_name, admin.email, "", "Activé"])
    preview = run_import(org, admin, me, dry_run=True)
    assert preview.confirmation_required and preview.errors == []
    refused = run_import(org, admin, me)
    assert not refused.applied and "confirm" in refused.errors[0]["message"]
    assert Member.objects.filter(organization=org, state="active").count() == 14
    done = run_import(org, admin, me, confirm_mass_deactivation=True)
    assert done.applied and done.deactivated == 12


def test_import_is_refused_when_the_feature_is_off(org, admin) -> None:  # type: ignore[no-untyped-def]
    org.features = {**org.features, "import_export": False}
    org.save(update_fields=["features"])
    with pytest.raises(PermissionDenied, match="not enabled"):
        run_import(org, admin, roster(["", "A", "B", "", "", "Activé"]))
    with pytest.raises(PermissionDenied):
        export(org, admin)


def test_plain_member_may_not_import_or_export(org, member) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        run_import(org, member, roster(["", "A", "B", "", "", "Activé"]))
    with pytest.raises(PermissionDenied):
        export(org, member)


def test_admin_of_another_tenant_cannot_import_into_this_one(org, other_admin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        run_import(org, other_admin, roster(["", "A", "B", "", "", "Activé"]))
    with pytest.raises(NotFound):
        export(org, other_admin)


def test_user_admin_imports_and_cannot_grant_admin(org, user_admin, owner) -> None:  # type: ignore[no-untyped-def]
    header = ["Nom", "Prénom", "État", "Rôles"]
    ok = csv_bytes([["Neuf", "Nina", "Activé", "membre"]], header=header)
    assert run_import(org, user_admin, ok, mode="upsert").added == 1
    bad = csv_bytes([["Chef", "Paul", "Activé", "administrateur"]], header=header)
    report = run_import(org, user_admin, bad, mode="upsert")
    assert not report.applied and report.errors[0]["column"] == "Rôles"


def test_owner_row_in_admin_export_passes_but_changing_owner_is_skipped(org, admin, owner) -> None:  # type: ignore[no-untyped-def]
    data = export(org, admin, "csv", "fr").decode("utf-8-sig").replace(owner.last_name, "Changé")
    report = run_import(org, admin, data.encode())
    assert report.applied and [s["login"] for s in report.skipped] == [owner.login]
    owner.refresh_from_db()
    assert owner.last_name == "Owner"


def test_group_admin_may_not_import_the_whole_roster(org, group_admin, member) -> None:  # type: ignore[no-untyped-def]
    # Import is a user_admin/admin capability (SPEC §2); the diff still confines any
    # group-scoped actor to their reach (tests/imports/test_diff.py).
    with pytest.raises(PermissionDenied):
        run_import(org, group_admin, roster([member.login, "X", "Y", "", "", "Activé"]))


def test_link_policy_mails_a_set_password_link_to_each_new_member(org, admin) -> None:  # type: ignore[no-untyped-def]
    from equipage.emails.models import OutboundEmail

    org.first_password_policy = "link"
    org.save(update_fields=["first_password_policy"])
    run_import(
        org,
        admin,
        roster(
            ["", "Neuf", "Nina", "nina@x.fr", "", "Activé"], ["", "Sans", "Mail", "", "", "Activé"]
        ),
        mode="upsert",
    )
    nina = Member.objects.get(login="nina.neuf")
    assert not nina.uses_temp_password and not nina.has_usable_password()
    assert list(OutboundEmail.objects.filter(member=nina).values_list("kind", flat=True)) == [
        "set_password"
    ]


def test_passwords_given_in_the_file_are_hashed_and_must_be_changed(org, admin) -> None:  # type: ignore[no-untyped-def]
    rows = [["", f"Nom{i}", "P", "", f"Secret-{i}-pass", "Activé"] for i in range(20)]
    run_import(org, admin, roster(*rows), mode="upsert")
    m = Member.objects.get(login="p.nom7")
    assert m.check_password("Secret-7-pass") and m.must_change_password and not m.uses_temp_password
    again = run_import(org, admin, roster(*rows), mode="upsert")
    assert (again.updated, again.unchanged) == (0, 20)  # same password: nothing to change


def test_deactivated_state_in_file_deactivates_and_reactivates(org, admin, member) -> None:  # type: ignore[no-untyped-def]
    row = [member.login, member.last_name, member.first_name, member.email, "", "Désactivé"]
    assert run_import(org, admin, roster(row), mode="upsert").deactivated == 1
    row[5] = "Activé"
    report = run_import(org, admin, roster(row), mode="upsert")
    assert report.updated == 1
    member.refresh_from_db()
    assert member.state == "active"
    assert AuditEvent.objects.filter(member=member, event_type="member.reactivated").count() == 1


def test_errors_are_in_the_coordinators_language(org, admin) -> None:  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("fr"):
        report = run_import(org, admin, roster(["", "", "Jean", "", "", "Activé"]))
    assert report.errors[0]["message"] == "Cette cellule est obligatoire."


def test_groups_labels_and_roles_columns_are_applied(org, admin, member, groups) -> None:  # type: ignore[no-untyped-def]
    from equipage.groups.actions import label_create
    from equipage.groups.models import GroupMembership, MemberLabel

    label_create(actor=admin, organization=org, name="Secouriste")
    header = ["Identifiant", "Nom", "Prénom", "État", "Groupes", "Rôles", "Étiquettes"]
    data = csv_bytes(
        [
            [
                member.login,
                member.last_name,
                member.first_name,
                "Activé",
                "Atelier",
                "user admin",
                "secouriste",
            ],
            ["", "Neuf", "Nina", "Activé", "Ventes Nord", "", ""],
        ],
        header=header,
    )
    report = run_import(org, admin, data, mode="upsert")
    assert report.applied, report.errors
    assert set(
        GroupMembership.objects.filter(member=member).values_list("group__name", flat=True)
    ) == {"Atelier"}
    assert list(MemberRole.objects.filter(member=member).values_list("role", flat=True)) == [
        "user_admin"
    ]
    assert MemberLabel.objects.filter(member=member, label__name="Secouriste").exists()
    nina = Member.objects.get(organization=org, login="nina.neuf")
    assert set(
        GroupMembership.objects.filter(member=nina).values_list("group__name", flat=True)
    ) == {"Ventes Nord", "Ventes"}
    assert run_import(org, admin, data, mode="upsert").unchanged == 2


def test_xlsx_export_survives_control_characters_in_names(org: Any, owner: Any) -> None:
    """A name with a control character (stored before the actions refused them) must not abort the download."""
    import io

    from openpyxl import load_workbook

    from equipage.accounts.actions import member_create
    from equipage.accounts.models import Member
    from equipage.imports.actions import roster_export

    made = member_create(actor=owner, organization=org, first_name="Zoé", last_name="Belle")
    Member.objects.filter(pk=made.pk).update(first_name="Zoé\x0b", last_name="Bell\x07e")
    data = b"".join(roster_export(actor=owner, organization=org, fmt="xlsx", language="fr"))
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    names = [(r[1], r[2]) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert ("Belle", "Zoé") in names


def test_members_may_swap_their_emails_or_take_a_new_one(org, admin) -> None:  # type: ignore[no-untyped-def]
    rows = [
        ["swap.a", "A", "Anne", "a@swap.fr", "", "Activé"],
        ["swap.b", "B", "Bruno", "b@swap.fr", "", "Activé"],
        ["swap.c", "C", "Chloé", "c@swap.fr", "", "Activé"],
    ]
    run_import(org, admin, roster(*rows), mode="upsert")
    rows[0][3], rows[1][3] = "B@swap.fr", "a@swap.fr"  # a swap, one of them in capitals
    rows[2][3] = "chloe@swap.fr"  # a plain move to a free address
    report = run_import(org, admin, roster(*rows), mode="upsert")
    assert (report.errors, report.updated) == ([], 3)
    emails = dict(Member.objects.filter(login__startswith="swap.").values_list("login", "email"))
    assert emails == {"swap.a": "B@swap.fr", "swap.b": "a@swap.fr", "swap.c": "chloe@swap.fr"}
    # A move alone (nothing given up is taken) needs no freeing first, and works too.
    rows[2][3] = "c@swap.fr"
    assert run_import(org, admin, roster(*rows), mode="upsert").updated == 1
    assert Member.objects.get(login="swap.c").email == "c@swap.fr"


def test_a_refused_import_keeps_its_first_errors_and_their_count_in_its_job_row(
    org, admin, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports import jobs
    from equipage.imports.models import ImportJob

    monkeypatch.setattr(jobs, "REPORT_LIMIT", 2)
    report = run_import(org, admin, roster(*[["", f"N{i}", "P", "", "", "Non?"] for i in range(4)]))
    assert len(report.errors) == 4  # the caller is given every one
    job = ImportJob.objects.filter(organization=org).latest("id")
    assert job.result["error_count"] == 4 and len(job.result["errors"]) == 2


def test_a_dry_run_report_streams_the_same_json_as_json_dumps(org, admin, member) -> None:  # type: ignore[no-untyped-def]
    import json

    data = roster(
        [member.login, "Renommé", member.first_name, member.email, "", "Désactivé"],
        ["", "Neuf", "Nœmie", "noemie@x.fr", "", "Activé"],
    )
    report = run_import(org, admin, data, dry_run=True, mode="upsert")
    assert report.change_count == 2 and [c["change"] for c in report.iter_changes()] == [
        "deactivated",
        "added",
    ]
    for with_changes in (True, False):
        out = io.StringIO()
        report.write_json(out, with_changes=with_changes)
        expected = json.dumps(report.as_dict(with_changes=with_changes), ensure_ascii=False)
        assert out.getvalue() == expected


@pytest.mark.parametrize("n", [0, 1, 999, 1000, 1001, 2000, 2500])
def test_streamed_json_is_valid_at_every_batch_boundary(n: int) -> None:
    import json

    from equipage.imports.actions import ImportReport

    class Planned:  # what the report reads of a planned change
        def __init__(self, i: int) -> None:
            self.i = i

        def as_dict(self) -> dict[str, Any]:
            return {"line": self.i, "login": f"éloïse{self.i}", "change": "added", "fields": {}}

    report = ImportReport(planned=[Planned(i) for i in range(n)], dry_run=True)
    out = io.StringIO()
    report.write_json(out)
    assert out.getvalue() == json.dumps(report.as_dict(), ensure_ascii=False)
    assert len(json.loads(out.getvalue())["changes"]) == n


def test_an_import_tells_how_many_lines_it_has_read_as_it_compares(org, admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = [[f"m{i}", "Nom", "Prénom", "", "", "Activé"] for i in range(20_001)]
    path = tmp_path / "grand.csv"
    path.write_bytes(roster(*lines))
    seen: list[tuple[str, int, int]] = []
    report = run_import(org, admin, path, dry_run=True, progress=lambda *event: seen.append(event))
    assert report.added == 20_001 and report.errors == []
    reading = [event for event in seen if event[0] == "read"]
    assert reading == [("read", 0, 0), ("read", 20_000, 0), ("read", 20_001, 20_001)]
