"""The spreadsheet trap, with Debian's LibreOffice (``libreoffice-calc-nogui``), headless.

An organization whose logins look like numbers, dates or booleans is exported,
opened by LibreOffice with its defaults, saved as XLSX, ODS and CSV
(Windows-1252, ``;``), and imported back as a dry-run sync. The attack: the
CSV export opened as is turns ``00123`` into 123, ``12345678901234567`` into
``1.23456789012346E+016``, ``+33612345678`` into 33612345678, ``1/3`` into a date
and ``true`` into TRUE — the import must then name each of those lines with
its cause, never add a member and deactivate another. The XLSX export types
its identifier columns as text: that file, saved by LibreOffice in any of the
three formats, imports as no change at all.

LibreOffice is a real component here: without ``soffice`` this test fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from equipage.imports.actions import roster_export
from tests.conftest import make_member
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db

# Logins a spreadsheet converts, and how the import names each line.
TRAPPED = {
    "00123": "login_twin_number",
    "0612345678": "login_twin_number",
    "12345678901234567": "login_twin_exponent",
    "1/3": "login_twin_date",
}
# Logins it leaves alone: a phone number with its + is neutralised by the export
# ("'+33…", read back as "+33…"); TRUE, text or a workbook's boolean, is "true", case aside.
SAFE = ["+33612345678", "true", "jean.dupont"]
TRAP_CODES = {
    "login_twin_number",
    "login_twin_exponent",
    "login_twin_date",
    "login_twin_boolean",
    "cell_typed_number",
    "cell_typed_date",
    "cell_typed_boolean",
}
# LibreOffice's CSV filter options (help: "CSV Filter Options"): field separator 59 (;),
# text delimiter 34 ("), character set 76 (UTF-8) or ANSI (Windows-1252), first line 1.
OPEN_EXPORT_CSV = "CSV:59,34,76,1"  # what its import dialog detects in the export's CSV file
SAVE_CSV = "csv:Text - txt - csv (StarCalc):59,34,ANSI,1"
SOFFICE_TIMEOUT = 60


@pytest.fixture(scope="module")
def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    assert path, "LibreOffice is missing: apt-get install libreoffice-calc-nogui (see .ci/run)"
    return path


def convert(soffice: str, source: Path, target: str, out: Path, infilter: str = "") -> Path:
    """Open ``source`` in LibreOffice (with ``infilter``) and save it as ``target`` into ``out``."""
    profile = out.parent / "lo-profile"  # a private profile: no shared state, no lock
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        *([f"--infilter={infilter}"] if infilter else []),
        "--convert-to",
        target,
        "--outdir",
        str(out),
        str(source),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT)
    suffix = target.split(":")[0]
    made = out / f"{source.stem}.{suffix}"
    assert run.returncode == 0 and made.exists(), (run.stdout, run.stderr)
    return made


@pytest.fixture
def trapped_org(org: Any, owner: Any) -> Any:
    for i, login in enumerate([*TRAPPED, *SAFE]):
        make_member(org, owner, "Élodie", f"Œuvray{i}", login=login, email=f"m{i}@acme.test")
    return org


def export(org: Any, owner: Any, fmt: str, path: Path) -> Path:
    path.write_bytes(b"".join(roster_export(actor=owner, organization=org, fmt=fmt, language="fr")))
    return path


def dry_run(org: Any, owner: Any, path: Path) -> Any:
    return run_import(org, owner, path.read_bytes(), filename=path.name, dry_run=True)


def test_the_csv_export_saved_by_libreoffice_names_every_converted_login(
    trapped_org: Any, owner: Any, soffice: str, tmp_path: Path
) -> None:
    source = export(trapped_org, owner, "csv", tmp_path / "membres.csv")
    for target in ("xlsx", "ods", SAVE_CSV):
        out = tmp_path / target.split(":")[0]
        saved = convert(soffice, source, target, out, OPEN_EXPORT_CSV)
        report = dry_run(trapped_org, owner, saved)
        codes = {e["code"] for e in report.errors}
        assert codes and codes <= TRAP_CODES, (target, report.errors)
        # Every line whose login LibreOffice converted is named, with the person on it and
        # the member whose login it was; that member stays matched: nobody is deactivated.
        assert all(e.get("who", "").startswith("Élodie Œuvray") for e in report.errors)
        by_login = {e["params"]["l"]: e["code"] for e in report.errors}
        assert by_login == TRAPPED, (target, report.errors)
        assert (report.added, report.deactivated) == (0, 0), (target, report.planned)
        if target == SAVE_CSV:
            text = saved.read_bytes().decode("cp1252")
            assert "\n123;" in text and "E+016" in text and "\nTRUE;" in text  # the attack


def test_the_text_typed_xlsx_export_saved_by_libreoffice_imports_as_no_change(
    trapped_org: Any, owner: Any, soffice: str, tmp_path: Path
) -> None:
    source = export(trapped_org, owner, "xlsx", tmp_path / "membres.xlsx")
    for target in ("xlsx", "ods", SAVE_CSV):
        saved = convert(soffice, source, target, tmp_path / target.split(":")[0])
        report = dry_run(trapped_org, owner, saved)
        assert report.errors == [], (target, report.errors)
        counts = (report.added, report.updated, report.deactivated)
        assert counts == (0, 0, 0), (target, report.planned)
        assert report.unchanged == len(TRAPPED) + len(SAFE) + 1  # and the owner
