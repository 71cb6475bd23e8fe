"""Building roster files the way spreadsheets write them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

FR_HEADER = ["Identifiant", "Nom", "Prénom", "Adresse e-mail", "Mot de passe", "État"]
EN_HEADER = ["Login", "Last name", "First name", "Email", "Password", "State"]


def csv_bytes(
    rows: Sequence[Sequence[str]],
    header: Sequence[str] = FR_HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> bytes:
    """Return a CSV file as Excel writes it (CRLF, BOM for UTF-8, cp1252 for "CSV (;)")."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def run_import(org, actor, data: bytes, **kw):  # type: ignore[no-untyped-def]
    from equipage.imports.actions import roster_import

    return roster_import(actor=actor, organization=org, data=data, **kw)
