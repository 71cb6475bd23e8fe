"""The export's headers, states and contact columns survive the round trip (issue #16.3).

The attacks: a custom field named ``=HYPERLINK(...)`` written as a live formula
in the header; invited and never-invited members written « Activé »; the
phone, job title and contact roles not exported, or not read back; a file
turning someone into « Invité »; an older custom field named « Téléphone »;
two groups made before names were unique.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from equipage.accounts.models import CustomField, Member, MemberState
from equipage.imports.actions import roster_export
from equipage.imports.columns import PENDING
from equipage.imports.reader import read_table
from equipage.imports.validate import MAX_LENGTH, validate_table
from equipage.imports.wording import worded_fields
from tests.conftest import make_member
from tests.imports.helpers import FR_HEADER, csv_bytes, run_import

FORMULA = '=HYPERLINK("http://evil.test","clic")'


def export(org: Any, actor: Any, fmt: str = "csv", language: str = "fr") -> bytes:
    return b"".join(roster_export(actor=actor, organization=org, fmt=fmt, language=language))


def lines(data: bytes) -> list[list[str]]:
    table = read_table(data, "export.csv")
    return [table.headers, *(cells for _line, cells in table.rows)]


def test_member_field_limits_are_the_models() -> None:
    for key in ("login", "last_name", "first_name", "email", "phone", "job_title"):
        assert MAX_LENGTH[key] == Member._meta.get_field(key).max_length


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_custom_field_named_as_a_formula_is_a_neutralised_header_read_back_as_the_field(
    org: Any, owner: Any, fmt: str
) -> None:
    from equipage.accounts.actions import custom_field_create, member_set_custom_values

    field = custom_field_create(actor=owner, organization=org, name=FORMULA)
    member = make_member(org, owner, "Jean", "Dupont", login="jd")
    member_set_custom_values(actor=owner, member=member, values={field.key: "x"})
    data = export(org, owner, fmt)
    assert f"'{FORMULA}" in read_table(data, f"export.{fmt}").headers
    if fmt == "xlsx":  # a text cell, not a formula
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data)).active
        assert all(c.data_type == "s" for c in next(sheet.iter_rows(max_row=1)))
    report = run_import(org, owner, data, filename=f"export.{fmt}", dry_run=True)
    assert (report.errors, report.warnings, report.updated, report.added) == ([], [], 0, 0)
    if fmt == "csv":  # the column is the field's: a new value there is its change
        changed = data.replace(b";x\r\n", b";y\r\n")
        report = run_import(org, owner, changed, filename="export.csv", dry_run=True)
        assert report.changes[0]["fields"] == {f"custom:{field.key}": {"before": "x", "after": "y"}}


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ["Activé", "Désactivé", "Invité", "Non invité"]),
        ("en", ["Active", "Deactivated", "Invited", "Not invited"]),
    ],
)
def test_each_member_state_is_exported_with_its_own_word(
    org: Any, owner: Any, language: str, words: list[str]
) -> None:
    from equipage.accounts.actions import members_deactivate
    from equipage.invitations.actions import invitations_create

    make_member(org, owner, "Ann", "Active", login="a1")
    gone = make_member(org, owner, "Dan", "Gone", login="a2")
    members_deactivate(actor=owner, organization=org, members=[gone])
    invitations_create(actor=owner, organization=org, emails="ivy@acme.test")
    make_member(org, owner, "Cid", "Created", login="a4", state=MemberState.CREATED)
    rows = {r[0]: r[5] for r in lines(export(org, owner, "csv", language))[1:]}
    invited = Member.objects.get(email="ivy@acme.test").login
    assert [rows["a1"], rows["a2"], rows[invited], rows["a4"]] == words


def _pending_org(org: Any, owner: Any) -> dict[str, Any]:
    from equipage.accounts.actions import members_deactivate
    from equipage.invitations.actions import invitations_create

    active = make_member(org, owner, "Ann", "Active", login="a1")
    gone = make_member(org, owner, "Dan", "Gone", login="a2")
    members_deactivate(actor=owner, organization=org, members=[gone])
    invitations_create(actor=owner, organization=org, emails="ivy@acme.test")
    created = make_member(org, owner, "Cid", "Created", login="a4", state=MemberState.CREATED)
    invited = Member.objects.get(email="ivy@acme.test")
    return {"active": active, "gone": gone, "invited": invited, "created": created}


def _line(m: Any, state: str) -> list[str]:
    return [m.login, m.last_name, m.first_name, m.email, "", state]


def test_pending_words_leave_invited_and_never_invited_members_as_they_are(
    org: Any, owner: Any
) -> None:
    m = _pending_org(org, owner)
    for words in (("Invité", "Non invité"), ("Non invité", "invited"), ("Activé", "Activé")):
        rows = [
            _line(owner, "Activé"),
            _line(m["active"], "Invité"),  # an older file: the invitation was accepted since
            _line(m["gone"], "Désactivé"),
            _line(m["invited"], words[0]),
            _line(m["created"], words[1]),
        ]
        report = run_import(org, owner, csv_bytes(rows), mode="sync")
        assert (report.errors, report.applied) == ([], True)
        assert (report.added, report.updated, report.deactivated) == (0, 0, 0), report.changes
    states = dict(Member.objects.filter(organization=org).values_list("login", "state"))
    assert states[m["invited"].login] == "invited"
    assert states["a4"] == "created"
    assert states["a1"] == "active"


def test_pending_word_cannot_add_a_member_nor_revive_a_deactivated_one(
    org: Any, owner: Any
) -> None:
    m = _pending_org(org, owner)
    rows = [
        _line(owner, "Activé"),
        _line(m["gone"], "Invité"),
        ["new1", "Neuf", "Nina", "nina@acme.test", "", "Non invité"],
    ]
    report = run_import(org, owner, csv_bytes(rows), mode="upsert", dry_run=True)
    assert [(e["line"], e["column"]) for e in report.errors] == [(3, "État"), (4, "État")]
    assert (
        "désactivé" in report.errors[0]["message"].lower()
        or "deactivated" in (report.errors[0]["message"])
    )


def test_contact_columns_are_exported_and_an_export_reimports_as_no_change(
    org: Any, owner: Any
) -> None:
    from equipage.accounts.actions import member_update

    member = make_member(org, owner, "Jean", "Dupont", login="jd")
    member_update(
        actor=owner,
        member=member,
        phone="+33 6 12 34 56 78",
        job_title="Trésorier",
        contact_roles=["facturation", "sécurité"],
    )
    data = export(org, owner)
    header, *rows = lines(data)
    assert header[9:12] == ["Téléphone", "Fonction", "Rôles de contact"]
    row = next(r for r in rows if r[0] == "jd")
    assert row[9:12] == ["'+33 6 12 34 56 78", "Trésorier", "facturation, sécurité"]
    assert lines(export(org, owner, language="en"))[0][9:12] == [
        "Phone",
        "Job title",
        "Contact roles",
    ]
    for fmt in ("csv", "xlsx"):
        report = run_import(org, owner, export(org, owner, fmt), filename=f"e.{fmt}", dry_run=True)
        assert (report.errors, report.updated, report.added) == ([], 0, 0)


def test_contact_columns_change_members_and_the_preview_names_them_in_the_files_words(
    org: Any, owner: Any
) -> None:
    member = make_member(org, owner, "Jean", "Dupont", login="jd")
    header = [*FR_HEADER, "Téléphone", "Fonction", "Rôles de contact"]
    rows = [
        [*_line(owner, "Activé"), "", "", ""],
        [*_line(member, "Activé"), "01 02", "Président", "facturation,  sécurité"],
        ["nv", "Neuf", "Nina", "nina@acme.test", "", "Activé", "03", "", "facturation"],
    ]
    preview = run_import(org, owner, csv_bytes(rows, header), dry_run=True)
    assert preview.errors == []
    update = next(c for c in preview.changes if c["login"] == "jd")
    assert worded_fields(update["fields"], "fr") == [
        {"column": "Téléphone", "before": "", "after": "01 02"},
        {"column": "Fonction", "before": "", "after": "Président"},
        {"column": "Rôles de contact", "before": "", "after": "facturation, sécurité"},
    ]
    applied = run_import(org, owner, csv_bytes(rows, header))
    assert applied.applied, applied.errors
    member.refresh_from_db()
    assert (member.phone, member.job_title, member.contact_roles) == (
        "01 02",
        "Président",
        ["facturation", "sécurité"],
    )
    new = Member.objects.get(organization=org, login="nv")
    assert (new.phone, new.job_title, new.contact_roles) == ("03", "", ["facturation"])
    again = run_import(org, owner, csv_bytes(rows, header), dry_run=True)
    assert (again.errors, again.updated, again.added) == ([], 0, 0)
    cleared = [[*rows[0]], [*_line(member, "Activé"), "", "", ""], rows[2]]
    run_import(org, owner, csv_bytes(cleared, header))
    member.refresh_from_db()
    assert (member.phone, member.job_title, member.contact_roles) == ("", "", [])


def test_contact_cells_are_held_to_the_profiles_rules(org: Any, owner: Any) -> None:
    header = [*FR_HEADER, "Téléphone", "Fonction"]
    rows = [
        [*_line(owner, "Activé"), "1" * 41, "ok"],
        ["x", "Neuf", "Nina", "", "", "Activé", "", "a\u202eb"],
    ]
    report = run_import(org, owner, csv_bytes(rows, header), mode="upsert", dry_run=True)
    assert [(e["line"], e["column"]) for e in report.errors] == [(2, "Téléphone"), (3, "Fonction")]


def test_an_older_custom_field_named_like_a_new_column_still_round_trips(
    org: Any, owner: Any
) -> None:
    from equipage.accounts.actions import member_set_custom_values, member_update

    legacy = CustomField.objects.create(organization=org, key="telephone", name="Téléphone")
    member = make_member(org, owner, "Jean", "Dupont", login="jd")
    member_set_custom_values(actor=owner, member=member, values={"telephone": "ancien"})
    member_update(actor=owner, member=member, phone="06")
    data = export(org, owner)
    assert lines(data)[0].count("Téléphone") == 2
    report = run_import(org, owner, data, dry_run=True)
    assert (report.errors, report.updated) == ([], 0)
    assert legacy.pk


def test_groups_made_twins_before_names_were_unique_are_a_named_error_not_a_move(
    org: Any, owner: Any
) -> None:
    from django.utils import timezone

    from equipage.groups.actions import group_add_member
    from equipage.groups.models import Group

    first = Group.objects.create(organization=org, name="Résidents", created_at=timezone.now())
    Group.objects.create(organization=org, name="residents", created_at=timezone.now())
    member = make_member(org, owner, "Jean", "Dupont", login="jd")
    group_add_member(actor=owner, group=first, member=member)
    report = run_import(org, owner, export(org, owner), dry_run=True)
    assert [(e["column"], e["code"]) for e in report.errors] == [("Groupes", "group_ambiguous")]
    assert report.updated == 0


def test_state_words_read_back_as_pending() -> None:
    from equipage.imports.columns import parse_state

    for word in ("Invité", "invited", "Non invité", "NOT INVITED", "jamais invitée"):
        assert parse_state(word) == PENDING
    data = csv_bytes([["a", "B", "C", "", "", "Invité"]])
    assert validate_table(read_table(data, "f.csv")).rows[0].active == PENDING
