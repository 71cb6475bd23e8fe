"""The import page speaks the coordinator's words: the file's columns, their language, names."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from equipage.imports import problems, wording
from equipage.imports.eta import estimate, time_left
from equipage.imports.models import ImportJob
from tests.imports.helpers import csv_bytes
from tests.imports.test_views import downloaded, immediate_tasks, login, upload  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_changes_are_shown_with_the_files_column_names_and_words() -> None:
    fields = {"last_name": ["André", "André-Martin"], "state": ["active", "deactivated"]}
    fr = wording.worded_fields(fields, "fr")
    assert fr == [
        {"column": "Nom", "before": "André", "after": "André-Martin"},
        {"column": "État", "before": "Activé", "after": "Désactivé"},
    ]
    en = wording.worded_fields(fields, "en")
    assert [f["column"] for f in en] == ["Last name", "State"]
    assert en[1]["after"] == "Deactivated"
    roles = wording.worded_fields({"roles": [["member"], ["admin", "member"]]}, "fr")
    assert roles[0]["after"] == "administrateur, membre"
    custom = wording.worded_fields({"custom:size": ["", "M"]}, "en", {"size": "Taille"})
    assert custom[0]["column"] == "Taille"


def test_a_stored_error_is_worded_again_in_the_readers_language() -> None:
    with translation.override("fr"):
        problem = problems.msg("group_unknown", {"g": "Chorale"})
    stored = {"line": 3, "column": "Groupes", "message": str(problem), "code": problem.code}
    stored["params"] = problem.params
    assert stored["message"] == "Groupe inconnu « Chorale »."
    with translation.override("en"):
        assert problems.render(stored) == "Unknown group “Chorale”."
    # An error stored before codes existed keeps its words; a forged code cannot break it.
    assert problems.render({"message": "Ancien"}) == "Ancien"
    assert problems.render({"message": "x", "code": "same_member", "params": {}}) == "x"


def test_every_code_has_a_french_wording() -> None:
    with translation.override("fr"):
        untranslated = [
            code
            for code, text in problems.MESSAGES.items()
            if translation.gettext(text) == text and "Activé" not in text
        ]
    assert untranslated == []


def test_the_time_left_comes_from_two_looks_at_the_progress() -> None:
    import time

    first = estimate({"phase": "write", "done": 100, "total": 1100}, {})
    assert first["percent"] == 9 and first["left"] == ""
    looked = {"at": str(time.time() - 10), "done": "0", "phase": "write"}
    later = estimate({"phase": "write", "done": 100, "total": 1100}, looked)
    assert 90 <= later["seconds_left"] <= 110 and later["left"] == "about 2 minutes left"
    other_phase = estimate({"phase": "read", "done": 100, "total": 1100}, looked)
    assert other_phase["seconds_left"] is None
    assert time_left(20) == "less than a minute left"
    with translation.override("fr"):
        assert time_left(60) == "environ 1 minute restante"
        assert time_left(600) == "environ 10 minutes restantes"


def test_the_french_preview_names_columns_and_the_person_of_each_error(
    org: Any,
    admin: Any,
    member: Any,
    immediate_tasks: Any,  # noqa: F811
) -> None:
    client = login(admin)
    client.cookies["django_language"] = "fr"
    rows = [
        [member.login, "Member-Martin", member.first_name, member.email, "", "Désactivé"],
    ]
    upload(client, org, csv_bytes(rows), mode="upsert")
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    page = client.get(f"/o/{org.slug}/members/import/{job.pk}/").content.decode()
    assert "Nom : Member → Member-Martin" in page and "État : Activé → Désactivé" in page
    assert "last_name" not in page and "deactivated →" not in page
    csv_text = downloaded(client.get(f"/o/{org.slug}/members/import/{job.pk}/changes.csv"))
    assert "Nom;Member;Member-Martin" in csv_text and "État;Activé;Désactivé" in csv_text

    bad = [["", "Sans", "Zoé", "pas-une-adresse", "", "Activé"]]
    upload(client, org, csv_bytes(bad), mode="upsert")
    job = ImportJob.objects.filter(organization=org).order_by("-id").first()
    assert job.preview["errors"][0]["code"] == "email_invalid"
    assert job.preview["errors"][0]["who"] == "Zoé Sans"
    english = login(admin)
    english.cookies["django_language"] = "en"
    page = english.get(f"/o/{org.slug}/members/import/{job.pk}/").content.decode()
    assert "“pas-une-adresse” is not a valid e-mail address." in page and "Zoé Sans" in page
    errors = downloaded(english.get(f"/o/{org.slug}/members/import/{job.pk}/errors.csv"))
    assert errors.splitlines()[0] == "Line,Column,Message,Person" and "Zoé Sans" in errors
