"""``equipage members import/export``: SPEC §9's JSON, exit statuses, quiet with --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from equipage.accounts.models import Member
from equipage.cli import main
from tests.imports.helpers import csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = {"added", "updated", "deactivated", "unchanged", "skipped", "errors", "applied"}


def cli(capsys: Any, *args: str) -> tuple[int, Any, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_dry_run_json_reports_spec_fields_and_exits_zero(
    org, owner, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "roster.csv"
    path.write_bytes(
        csv_bytes(
            [
                [owner.login, owner.last_name, owner.first_name, owner.email, "", "Activé"],
                ["", "Neuf", "Nina", "", "", "Activé"],
            ]
        )
    )
    code, out, err = cli(
        capsys, "members", "import", str(path), "--org", org.slug, "--dry-run", "--json"
    )
    report = json.loads(out)
    assert code == 0 and err == ""
    assert set(report) >= KEYS and (report["added"], report["applied"]) == (1, False)
    assert not Member.objects.filter(login="nina.neuf").exists()
    code, out, _ = cli(capsys, "members", "import", str(path), "--org", org.slug, "--json")
    assert code == 0 and json.loads(out)["applied"] is True
    assert Member.objects.filter(login="nina.neuf").exists()


def test_file_with_errors_exits_one_with_line_and_column(org, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([["", "Neuf", "", "", "", "Activé"]]))
    code, out, _ = cli(capsys, "members", "import", str(path), "--org", org.slug, "--json")
    report = json.loads(out)
    assert code == 1 and report["applied"] is False
    # The fixture organization speaks English; messages follow the organization's language.
    assert report["errors"] == [
        {
            "line": 2,
            "column": "Prénom",
            "message": "This cell is required.",
            "code": "cell_required",
            "who": "Neuf",
        }
    ]


def test_unknown_organization_is_an_error(db, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([]))
    code, _, err = cli(capsys, "members", "import", str(path), "--org", "nope")
    assert code == 1 and "nope" in err


def test_mass_deactivation_flag_is_required_then_honoured(
    org, owner, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    many = tmp_path / "many.csv"
    many.write_bytes(
        csv_bytes(
            [["", f"Nom{i}", "P", "", "", "Activé"] for i in range(12)]
            + [[owner.login, owner.last_name, owner.first_name, owner.email, "", "Activé"]]
        )
    )
    assert cli(capsys, "members", "import", str(many), "--org", org.slug, "--json")[0] == 0
    alone = tmp_path / "alone.csv"
    alone.write_bytes(
        csv_bytes([[owner.login, owner.last_name, owner.first_name, owner.email, "", "Activé"]])
    )
    code, out, _ = cli(capsys, "members", "import", str(alone), "--org", org.slug, "--json")
    assert code == 1 and json.loads(out)["errors"][0]["line"] == 0
    code, out, _ = cli(
        capsys,
        "members",
        "import",
        str(alone),
        "--org",
        org.slug,
        "--json",
        "--confirm-mass-deactivation",
    )
    assert code == 0 and json.loads(out)["deactivated"] == 12


def test_upsert_mode_never_deactivates(org, owner, member, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([["", "Neuf", "Nina", "", "", "Activé"]]))
    code, out, _ = cli(
        capsys, "members", "import", str(path), "--org", org.slug, "--mode", "upsert", "--json"
    )
    assert code == 0 and json.loads(out)["deactivated"] == 0
    member.refresh_from_db()
    assert member.state == "active"


def test_export_writes_csv_and_xlsx_files_that_reimport_as_no_op(
    org, owner, member, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    for fmt, lang in (("csv", "fr"), ("xlsx", "en")):
        target = tmp_path / f"out.{fmt}"
        code, _, _ = cli(
            capsys,
            "members",
            "export",
            "--org",
            org.slug,
            "--format",
            fmt,
            "--lang",
            lang,
            "-o",
            str(target),
        )
        assert code == 0
        code, out, _ = cli(capsys, "members", "import", str(target), "--org", org.slug, "--json")
        report = json.loads(out)
        assert code == 0 and (report["added"], report["updated"], report["deactivated"]) == (
            0,
            0,
            0,
        )
    code, out, _ = cli(capsys, "members", "export", "--org", org.slug, "--lang", "en")
    assert out.startswith("\ufeffLogin,Last name,First name,Email,Password,State")


def test_an_applied_import_is_counted_in_the_metrics(org, owner, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.ops.test_metrics import value

    before = value("equipage_import_rows_count", outcome="applied")
    path = tmp_path / "roster.csv"
    path.write_bytes(
        csv_bytes(
            [
                [owner.login, owner.last_name, owner.first_name, owner.email, "", "Activé"],
                ["", "Neuf", "Nina", "", "", "Activé"],
            ]
        )
    )
    code, _out, _err = cli(capsys, "members", "import", str(path), "--org", org.slug, "--json")
    assert code == 0
    assert value("equipage_import_rows_count", outcome="applied") == before + 1
