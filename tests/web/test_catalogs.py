"""The French catalogs compile cleanly and build no « 1 invitations » from a number.

``msgfmt --check`` catches a plural entry with fewer forms than the header declares (a
French « 1 » would then show nothing or the English words). The scan finds sentences
whose noun follows a number without ``ngettext`` / ``blocktranslate count``: in French
« %(n)s membres » is wrong for 1 (and for 0, which French writes in the singular).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(ROOT.glob("equipage/**/locale/fr/LC_MESSAGES/django.po"))
NUMBER_THEN_PLURAL = re.compile(
    r"(%\(\w+\)[sd]|%d|\{\{ ?\w+ ?\}\}|\{\w+\})\s+(?!vous\b|des\b|autres\b|premiers\b)"
    r"[a-zA-Zéèàç’'-]+s\b"
)
# Sentences whose number can never be 1 or 0, each with why; anything else must use plurals.
NEVER_ONE = {
    # A sync needs confirming only above 10 deactivations (imports.model.Plan.needs_mass_confirmation).
    "This sync would deactivate %(n)d of the %(m)d active members. If that is what you "
    "want, confirm the mass deactivation (--confirm-mass-deactivation).",
    "This sync deactivates %(n)s members, more than half of the active members.",
    # Bounds and limits written by the code: constants above 1.
    "Line %(line)d has more cells than the %(max)d columns an import takes (up to column "
    "%(col)s). Remove the extra columns and try again.",
    "Too long: at most %(n)d characters (here %(m)d).",
    "This text is too long (%(n)d characters at most).",
    "The idle time before a session ends is between %(lo)d minutes and %(hi)d hours.",
    "The idle session timeout is between %(lo)d minutes and %(hi)d hours.",
    "New accounts without a password log in the first time with the organization's temporary "
    "password, within %(days)d days of their creation, and must change it at once (“shared” "
    "policy).",
    "The request body is too large (%(n)s bytes at most).",
    # The import's file limits (imports.limits): constants in the millions, a ratio of 100.
    "This workbook unzips to more than %(ratio)d times its size (a zip bomb): it is refused.",
    "The file has more than %(max)s lines, the most an import takes. Split it.",
    "Line %(line)d is longer than %(max)s characters, the most an import takes.",
    "The workbook holds more than %(max)s shared strings.",
    "A cell of this workbook lies beyond column %(col)s or line %(max)s, the most an import reads.",
    "This workbook declares a sheet of %(ref)s, beyond column %(col)s or "
    "line %(max)s, the most an import reads.",
    # The JavaScript picks « {n} members selected » for two and more, « 1 member » alone.
    "{n} members selected",
}


def _entries(po: Path) -> list[tuple[str, str, bool]]:
    """Return (msgid, msgstr, is_plural) of each entry of a catalog."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        plural = "msgid_plural" in block
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
        if not msgid or not msgstr:
            continue

        def text(m: re.Match[str]) -> str:
            return "".join(re.findall(r'"(.*)"', m.group(1)))

        found.append((text(msgid), text(msgstr), plural))
    return found


def test_every_catalog_passes_msgfmt_check() -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt is missing: apt-get install gettext (.ci/run does it)"
    assert CATALOGS, "no French catalog found"
    for po in CATALOGS:
        run = subprocess.run(
            [msgfmt, "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True
        )
        errors = [line for line in run.stderr.splitlines() if "warning:" not in line]
        assert run.returncode == 0 and not errors, f"{po}: {run.stderr}"


def test_every_compiled_catalog_says_what_its_po_says(tmp_path: Path) -> None:
    """A .po edited (or merged) without recompiling would leave the pages in English."""
    import gettext

    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt is missing: apt-get install gettext (.ci/run does it)"
    for po in CATALOGS:
        fresh = tmp_path / "fresh.mo"
        subprocess.run([msgfmt, "-o", str(fresh), str(po)], check=True, capture_output=True)
        with fresh.open("rb") as a, po.with_suffix(".mo").open("rb") as b:
            expected = gettext.GNUTranslations(a)._catalog  # type: ignore[attr-defined]
            compiled = gettext.GNUTranslations(b)._catalog  # type: ignore[attr-defined]
        assert compiled == expected, f"recompile {po}: msgfmt -o django.mo django.po"


def test_no_french_sentence_builds_a_plural_from_a_number_without_plural_forms() -> None:
    offenders = []
    for po in CATALOGS:
        package = po.relative_to(ROOT / "equipage").parts[0]
        for msgid, msgstr, plural in _entries(po):
            if plural or not msgstr or msgid in NEVER_ONE:
                continue
            if NUMBER_THEN_PLURAL.search(msgstr):
                offenders.append(f"{package}: {msgid!r} → {msgstr!r}")
    assert offenders == []


BLOCK = re.compile(
    r"\{% blocktrans(?:late)?(?P<args>[^%]*)%\}(?P<body>.*?)\{% endblocktrans(?:late)? %\}", re.S
)
COUNTED = re.compile(
    r"\{\{ ?(n|count|total|days|hours|minutes|done|a|p) ?\}\}(\s+[a-zA-Z-]+)?\s+[a-zA-Z-]+s\b"
)
# In templates, the sentences whose number is never 1 (see NEVER_ONE).
NEVER_ONE_TEMPLATES = {"This sync deactivates {{ n }} members, more than half of the active"}


def test_no_template_builds_a_plural_from_a_number_without_blocktranslate_count() -> None:
    offenders = []
    for path in sorted((ROOT / "equipage").glob("**/templates/**/*.*")):
        if path.suffix not in (".html", ".txt"):
            continue
        for block in BLOCK.finditer(path.read_text(encoding="utf-8")):
            body = block.group("body")
            if " count " in block.group("args") or any(s in body for s in NEVER_ONE_TEMPLATES):
                continue
            if COUNTED.search(body):
                offenders.append(f"{path.relative_to(ROOT)}: {body[:80]!r}")
    assert offenders == []
