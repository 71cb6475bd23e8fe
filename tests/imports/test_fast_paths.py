"""The import's fast paths give exactly the results of the general code they shortcut."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from equipage.core.text import search_key
from equipage.imports.bulk import search_key_maker
from equipage.imports.validate import _PLAIN_EMAIL
from tests.imports.helpers import csv_bytes, run_import

EMAIL_ALPHABET = "abcXYZ019.-_+@'é"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=EMAIL_ALPHABET, min_size=1, max_size=24))
def test_plain_email_shortcut_accepts_only_what_django_accepts(text: str) -> None:
    if _PLAIN_EMAIL.fullmatch(text):
        validate_email(text)  # raises if the shortcut let through an invalid address


def test_plain_email_shortcut_matches_usual_addresses_and_refuses_bad_ones() -> None:
    assert _PLAIN_EMAIL.fullmatch("jean-pierre.d-artagnan.12@mairie-lyon.fr")
    for bad in ("a..b@x.fr", ".a@x.fr", "a@-x.fr", "a@x-.fr", "a@x.f", "a@x", "a@@x.fr"):
        assert not _PLAIN_EMAIL.fullmatch(bad), bad
        with pytest.raises(ValidationError):
            validate_email(bad)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=20), min_size=1, max_size=4))
def test_search_key_maker_gives_core_search_key(parts: list[str]) -> None:
    fast = search_key_maker()
    assert fast(*parts) == search_key(*parts)
    assert fast(*parts) == search_key(*parts)  # the cached second answer too


# Files as people's tools write them: any bytes, UTF-8 with or without BOM, UTF-16, cp1252.
FILE_BYTES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=60).map(lambda t: t.encode("utf-8")),
    st.text(max_size=60).map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
    st.text(max_size=60).map(lambda t: t.encode("utf-16")),
    st.text(alphabet='éèàçôÉ;,\tabc\r\n"', max_size=60).map(lambda t: t.encode("cp1252")),
)


@settings(max_examples=200, deadline=None)
@given(FILE_BYTES)
def test_streamed_decoding_gives_the_same_text_as_decode(data: bytes) -> None:
    import io

    from equipage.imports.reader import decode

    text, encoding = decode(data)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    assert stream.read() == text


@settings(max_examples=300, deadline=None)
@given(FILE_BYTES, st.sampled_from([1, 2, 3, 7, 64]))
def test_encoding_and_delimiter_are_settled_without_decoding_the_whole_file(
    data: bytes, block: int
) -> None:
    from unittest import mock

    from equipage.imports import reader

    text, encoding = reader.decode(data)
    # Blocks and first-line reads as small as a byte cut every multi-byte character.
    blocks = reader._blocks
    with (
        mock.patch.object(reader, "_blocks", lambda d: blocks(d, block)),
        mock.patch.object(reader, "_HEAD_SIZE", block),
    ):
        assert reader.encoding_of(data) == encoding
        assert reader.sniff_delimiter(reader._head_text(data, encoding)) == (
            reader.sniff_delimiter(text)
        )


def _fts_trigger_sql(name: str = "directory_member_fts_ai") -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
        found = cursor.fetchone()
    return found[0] if found else None


@pytest.mark.django_db
def test_big_import_leaves_new_members_searchable_and_the_index_trigger_in_place(
    org, admin
) -> None:  # type: ignore[no-untyped-def]
    from equipage.accounts.models import Member
    from equipage.directory.selectors import search_members

    trigger = _fts_trigger_sql() if connection.vendor == "sqlite" else None
    rows = [[f"zorglub.{i}", "Zorglub", f"Éric{i}", "", "", "Activé"] for i in range(1100)]
    report = run_import(org, admin, csv_bytes(rows), mode="upsert")
    assert report.errors == [] and report.added == 1100
    members = Member.objects.filter(organization=org)
    assert search_members(members, "zorglub").count() == 1100
    assert search_members(members, "eric1099 zorglub").count() == 1
    if connection.vendor == "sqlite":
        assert trigger is not None and _fts_trigger_sql() == trigger
    # A small import (indexed row by row by the trigger) after the big one is searchable too.
    run_import(
        org, admin, csv_bytes([["bidule.1", "Bidule", "Anaïs", "", "", "Activé"]]), mode="upsert"
    )
    assert search_members(members, "bidule anais").count() == 1


@pytest.mark.django_db
def test_bulk_audit_rows_reach_webhooks_like_single_events(  # type: ignore[no-untyped-def]
    org, other_org, admin, other_admin, member
) -> None:
    from equipage.webhooks.actions import webhook_create
    from equipage.webhooks.models import WebhookDelivery

    events = ["member.created", "member.updated", "member.deactivated"]
    here = webhook_create(actor=admin, organization=org, url="https://h.example.com", events=events)
    webhook_create(
        actor=other_admin, organization=other_org, url="https://o.example.com", events=events
    )
    rows = [
        [member.login, "Nouveau-Nom", member.first_name, member.email, "", "Activé"],
        ["zoe.neuve", "Neuve", "Zoé", "zoe@example.fr", "", "Activé"],
    ]
    report = run_import(org, admin, csv_bytes(rows), mode="upsert")
    assert (report.added, report.updated) == (1, 1)
    sent = {d.event: d.payload["data"] for d in WebhookDelivery.objects.filter(endpoint=here)}
    assert sent["member.created"]["member"]["login"] == "zoe.neuve"
    assert sent["member.updated"]["member"]["last_name"] == "Nouveau-Nom"
    assert sent["member.updated"]["changes"]["before"] == {"last_name": member.last_name}
    assert sent["member.updated"]["changes"]["after"]["last_name"] == "Nouveau-Nom"
    assert WebhookDelivery.objects.exclude(endpoint=here).count() == 0


@pytest.mark.django_db
def test_big_update_reindexes_changed_names_and_keeps_the_update_trigger(org, admin) -> None:  # type: ignore[no-untyped-def]
    from equipage.accounts.models import Member
    from equipage.directory.selectors import search_members

    sqlite = connection.vendor == "sqlite"
    trigger = _fts_trigger_sql("directory_member_fts_au") if sqlite else None
    rows = [[f"zorglub.{i}", "Zorglub", f"Éric{i}", "", "", "Activé"] for i in range(1100)]
    run_import(org, admin, csv_bytes(rows), mode="upsert")
    renamed = [[f"zorglub.{i}", "Trombone", f"Éric{i}", "", "", "Activé"] for i in range(1100)]
    report = run_import(org, admin, csv_bytes(renamed), mode="upsert")
    assert report.errors == [] and report.updated == 1100
    members = Member.objects.filter(organization=org)
    assert search_members(members, "trombone").count() == 1100
    assert search_members(members, "zorglub trombone eric1099").count() == 1
    assert search_members(members, "zorglub").count() == 1100  # the logins keep the old word
    assert search_members(members.filter(last_name="Zorglub"), "trombone").count() == 0
    if sqlite:
        assert trigger is not None and _fts_trigger_sql("directory_member_fts_au") == trigger
    # One more rename through the restored trigger is indexed too.
    one = [["zorglub.1", "Agrafe", "Éric1", "", "", "Activé"]]
    run_import(org, admin, csv_bytes(one), mode="upsert")
    assert search_members(members, "agrafe").count() == 1
    assert search_members(members, "trombone").count() == 1099


def _reference_first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=" \r\n\t\x0b\x85\u2028ab;", max_size=80))
def test_first_filled_line_is_the_first_non_blank_line(text: str) -> None:
    from equipage.imports.reader import _first_filled_line

    assert _first_filled_line(text) == _reference_first_line(text)


def test_first_filled_line_found_beyond_the_first_prefix() -> None:
    from equipage.imports.reader import _first_filled_line

    for pad in (65535, 65536, 65537, 300_000):
        for text in (" \r\n" * (pad // 3) + "Nom;Prénom\r\nA;B", "\n" * pad + "x" * 70_000 + "\n"):
            assert _first_filled_line(text) == _reference_first_line(text)


@pytest.mark.django_db
def test_a_crash_after_a_big_insert_leaves_the_index_triggers_and_nothing_else(  # type: ignore[no-untyped-def]
    org, admin, monkeypatch
) -> None:
    import equipage.imports.actions as actions
    from equipage.accounts.models import Member
    from equipage.directory.selectors import search_members

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    sqlite = connection.vendor == "sqlite"
    names = ("directory_member_fts_ai", "directory_member_fts_au")
    triggers = [_fts_trigger_sql(n) for n in names] if sqlite else []
    monkeypatch.setattr(actions, "_write_relations", boom)
    rows = [[f"zorglub.{i}", "Zorglub", f"Éric{i}", "", "", "Activé"] for i in range(1100)]
    with pytest.raises(RuntimeError):
        run_import(org, admin, csv_bytes(rows), mode="upsert")
    members = Member.objects.filter(organization=org)
    assert not members.filter(login__startswith="zorglub.").exists()
    if sqlite:
        assert triggers[0] and triggers[1]
        assert [_fts_trigger_sql(n) for n in names] == triggers
    monkeypatch.undo()
    run_import(org, admin, csv_bytes(rows[:3]), mode="upsert")
    assert search_members(members, "zorglub").count() == 3


@pytest.mark.django_db
def test_bulk_audit_rows_refuse_an_unregistered_event_type_like_record(org, admin) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from equipage.audit.models import AuditEvent
    from equipage.audit.record import record_rows
    from equipage.permissions import as_actor

    before = AuditEvent.objects.count()
    with pytest.raises(ValueError), transaction.atomic():
        record_rows(
            actor=as_actor(admin),
            organization=org,
            rows=[("member.teleported", None, "", "", "", None, {"x": 1})],
        )
    assert AuditEvent.objects.count() == before


def _reference_validate(table):  # type: ignore[no-untyped-def]
    """Validate every line with the row-by-row reference rules (what the column pass shortcuts)."""
    from unittest import mock

    from equipage.imports import validate as V

    def row_by_row(table_rows, width, positions, custom_positions, specs, written, problems, names):  # type: ignore[no-untyped-def]
        out = []
        for line, cells in table_rows:
            row = V._validate_row(
                line, cells, width, positions, custom_positions, specs, written, problems
            )
            if row is not None:
                out.append(row)
        return out

    with mock.patch.object(V, "_rows_by_column", row_by_row):
        return V.validate_table(table, _SPECS)


_SPECS = [
    __import__("equipage.imports.validate", fromlist=["CustomFieldSpec"]).CustomFieldSpec(
        key="badge", name="Badge", kind="number"
    )
]
_FAST_HEADERS = [
    "Identifiant",
    "Nom",
    "Prénom",
    "Adresse e-mail",
    "Mot de passe",
    "État",
    "Groupes",
    "Rôles",
    "Étiquettes",
    "Badge",
]
_WILD = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "x y",
            "'=1",
            "'Dupont",
            "Ventes\nNord",
            "Nul\x00",
            "X" * 151,
            "a\u00a0b",
            "\u0301x",
        ]
    ),
    st.text(max_size=12),
)
_GOOD = {
    "Identifiant": ["jp.martin", "zoe", " loic.2 ", "Élodie.d", "jean dupont"],
    "Nom": ["Dupont", " Lefèvre", "L'Hôte", "Le\u0301a", "D'Artagnan ", "'=Dupont"],
    "Prénom": ["Zoé", "Jean-Pierre", " Anaïs ", "E\u0301lodie"],
    "Adresse e-mail": ["a@b.fr", "", "jp.martin@mairie-lyon.fr", "é@b.fr", "x@y"],
    "Mot de passe": ["", "s3cret", "Mot de passe crypté", " Encrypted password "],
    "État": ["Activé", "Désactivé", " oui ", "Active", "0"],
    "Groupes": ["", "Ventes", "Ventes, Atelier", "Ventes;Ventes"],
    "Rôles": ["", "admin", "Administrateur, membre", "chef"],
    "Étiquettes": ["", "VIP", "VIP|Nouveau"],
    "Badge": ["", "12", "douze"],
}


@st.composite
def _roster(draw):  # type: ignore[no-untyped-def]
    optional = [h for h in _FAST_HEADERS if h not in ("Nom", "Prénom", "État")]
    extra = draw(st.lists(st.sampled_from(optional), unique=True))
    header = draw(st.permutations(["Nom", "Prénom", "État", *extra]))
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        row = [
            draw(_WILD) if draw(st.integers(0, 9)) == 0 else draw(st.sampled_from(_GOOD[h]))
            for h in header
        ]
        shape = draw(st.integers(0, 9))
        if shape == 0:
            row = row[: draw(st.integers(0, len(row)))]
        elif shape == 1:
            row.append(draw(st.sampled_from(["", " ", "surplus"])))
        rows.append(row)
    return header, rows


@settings(max_examples=400, deadline=None)
@given(_roster())
def test_column_pass_gives_the_row_by_row_results(roster) -> None:  # type: ignore[no-untyped-def]
    from equipage.imports.reader import Table
    from equipage.imports.validate import validate_table

    header, rows = roster
    table = Table(headers=header, rows=[(i + 2, list(r)) for i, r in enumerate(rows)])
    fast = validate_table(table, _SPECS)
    slow = _reference_validate(table)
    assert fast.rows == slow.rows
    assert fast.problems == slow.problems
    assert (fast.warnings, fast.columns, fast.total_lines) == (
        slow.warnings,
        slow.columns,
        slow.total_lines,
    )


@pytest.mark.django_db
def test_new_member_ids_are_read_back_when_not_consecutive(org, other_org) -> None:  # type: ignore[no-untyped-def]
    from equipage.accounts.models import Member
    from equipage.core import clock
    from equipage.imports.actions import _new_ids
    from equipage.imports.model import Change

    now = clock.now()
    base = (Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000

    def make(pk: int, login: str, organization) -> None:  # type: ignore[no-untyped-def]
        Member.objects.create(
            pk=pk, organization=organization, login=login, first_name="A", last_name="B",
            created_at=now, updated_at=now,
        )  # fmt: skip

    # Consecutive ids, inserted in this order: taken as they are.
    for i, login in enumerate(["c1", "c2", "c3"]):
        make(base + i, login, org)
    ordered = [Change(line=None, login=x) for x in ("c1", "c2", "c3")]
    assert list(_new_ids(org, ordered, now, base - 1)) == [base, base + 1, base + 2]
    assert [c.login for c in ordered] == ["c1", "c2", "c3"]
    # Another organization's member in between: read back by login, ordered by id.
    later = base + 100
    make(later + 5, "g1", org)
    make(later + 6, "x", other_org)
    make(later + 7, "g2", org)
    make(later + 8, "g3", org)
    ordered = [Change(line=None, login=x) for x in ("g3", "g1", "g2")]
    assert _new_ids(org, ordered, now, later) == [later + 5, later + 7, later + 8]
    assert [c.login for c in ordered] == ["g1", "g2", "g3"]


@settings(max_examples=200, deadline=None)
@given(
    roster=_roster(),
    blank=st.lists(st.integers(0, 8), max_size=3),
    bad_quote=st.booleans(),
    size=st.integers(1, 4),
)
def test_file_read_in_chunks_gives_the_whole_table_results(roster, blank, bad_quote, size) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    from equipage.imports.reader import read_table
    from equipage.imports.validate import validate_file, validate_table

    header, rows = roster
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for i, r in enumerate(rows):
        if i in blank:
            out.write(";;\r\n")
        writer.writerow(r)
    text = out.getvalue()
    if bad_quote:
        text += 'x;"a"b\r\n' + "\x00" * 3 + ";z\r\n"
    data = text.encode("utf-8-sig")
    whole = validate_table(read_table(data, "f.csv"), _SPECS)
    chunked = validate_file(data, "f.csv", _SPECS, chunk_size=size)
    assert chunked.rows == whole.rows
    assert chunked.problems == whole.problems
    assert (chunked.warnings, chunked.columns, chunked.total_lines) == (
        whole.warnings,
        whole.columns,
        whole.total_lines,
    )


NAME_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    login=NAME_TEXT,
    last=NAME_TEXT,
    first=NAME_TEXT,
    email=NAME_TEXT,
    active=st.booleans(),
    roles=st.one_of(st.none(), st.sampled_from([("admin",), ("member", "user_admin"), ()])),
)
def test_new_member_audit_text_is_what_json_dumps_writes_of_its_values(
    login: str, last: str, first: str, email: str, active: bool, roles: tuple[str, ...] | None
) -> None:
    import json

    from equipage.imports.actions import _audit_rows
    from equipage.imports.model import NewMemberChange
    from equipage.imports.validate import Row

    row = Row(7, login, last, first, email, None, active, None, roles)
    change = NewMemberChange(row)
    ((_event, pk, _type, _tid, _label, before, after),) = list(_audit_rows([change], [42], [], 9))
    expected = {**change.values(), "import": 9}
    assert pk == 42 and before is None
    assert after == json.dumps(expected)  # the same text the general path writes
    assert json.loads(str(after)) == expected
