"""Text normalisation shared by search, matching and login generation; the rule for names."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from django.utils.translation import gettext as _
from unidecode import unidecode

from equipage.core.errors import ValidationFailed

_SPACES = re.compile(r"\s+")
_LOGIN_SEPARATORS = re.compile(r"[\s'’`]+")
_LOGIN_UNSAFE = re.compile(r"[^a-z0-9._@-]+")


def fold(text: str) -> str:
    """Return ``text`` lower-cased, accents removed and spaces collapsed ("Élodie" → "elodie")."""
    return _SPACES.sub(" ", unidecode(text or "")).strip().lower()


def login_part(text: str) -> str:
    """Return one half of a default login: folded, spaces and apostrophes turned into '-'."""
    folded = fold(text)
    part = _LOGIN_SEPARATORS.sub("-", folded)
    part = _LOGIN_UNSAFE.sub("", part)
    return part.strip("-.")


def default_login(first_name: str, last_name: str) -> str:
    """Return seed 000's default login ``prenom.nom`` ("Élodie", "Œuvray" → "elodie.oeuvray")."""
    first, last = login_part(first_name), login_part(last_name)
    return ".".join(p for p in (first, last) if p)


def search_key(*parts: str) -> str:
    """Return the folded text a member is searched by (names, login, e-mail)."""
    return " ".join(fold(p) for p in parts if p)


# Characters that change how text is shown without showing themselves: bidirectional
# controls (a login "admin\u202egnp.exe" reads "adminexe.png") and zero-width ones.
INVISIBLE_FORMATTING = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
# What free text (a message, a SCIM address) may not hold either: controls but line breaks and tabs.
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# No-break spaces (French typography, Excel and copy-paste from web pages put them in
# names): shown as a space, so stored as one, rather than refused as invisible characters.
_NO_BREAK_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " "})


def plain_spaces(text: str) -> str:
    """Return ``text`` with its no-break spaces made plain spaces ("Jean\u00a0Paul" → "Jean Paul")."""
    return text.translate(_NO_BREAK_SPACES)


def text_problem(text: str) -> str | None:
    """Return why ``text`` cannot be a name or a login (in the reader's language), or None.

    The one rule of every entry point (console, API, SCIM, import, CLI): the
    text is printable — no control character (NUL, CR, LF, tab...), no
    bidirectional or zero-width character, no separator but the plain space.
    """
    if text.isprintable():
        return None
    if _CONTROLS.search(text):
        return _("This text contains invisible control characters.")
    if INVISIBLE_FORMATTING.search(text):
        return _(
            "This text contains invisible formatting characters (bidirectional or zero-width): "
            "remove them."
        )
    return _("This text contains invisible characters: remove them.")


def free_text_problem(text: str) -> str | None:
    """Return why ``text`` cannot be free text (in the reader's language), or None.

    Lines and tabs are allowed; NUL (PostgreSQL cannot store it) and the other
    control characters are not.
    """
    if _CONTROLS_BUT_LINES.search(text):
        return _("This text contains invisible control characters.")
    return None


def check_identifier(value: str, *, field: str) -> str:
    """Return ``value``, or raise ``ValidationFailed`` naming ``field`` if a name cannot hold it.

    What a filter or an identifier in a query is held to: looking for a name
    with a NUL in it is an error (PostgreSQL refuses the comparison), not a search.
    """
    problem = text_problem(value)
    if problem:
        raise ValidationFailed(problem, field=field)
    return value


def clean_name(value: Any, *, field: str, max_length: int | None, required: bool = False) -> str:
    """Return ``value`` stripped, or raise ``ValidationFailed`` naming ``field``.

    ``text_problem``'s rule, the length limit of the column, and (``required``)
    non-empty: what every write of a name goes through.
    """
    text = "" if value is None else plain_spaces(str(value)).strip()
    # One spelling of each accented letter (the import reads cells so): a name sent
    # decomposed (macOS, some IdPs) would otherwise come back from the export as a change.
    text = text if text.isascii() else unicodedata.normalize("NFC", text)
    if required and not text:
        raise ValidationFailed(_("A name is required."), field=field)
    problem = text_problem(text)
    if problem:
        raise ValidationFailed(problem, field=field)
    if max_length is not None and len(text) > max_length:
        raise ValidationFailed(
            _("This text is too long (%(n)d characters at most).") % {"n": max_length},
            field=field,
        )
    return text


def without_controls(text: str) -> str:
    """Return ``text`` without control characters: what a search or a filter may look for.

    A NUL in ``?q=`` reached PostgreSQL, which refuses it (a 500); no stored
    name holds one, so dropping it finds the same members.
    """
    return _CONTROLS.sub("", text) if not text.isprintable() else text


# What a Groupes / Étiquettes cell of the import is split by (imports.columns.split_list).
LIST_SEPARATORS = ",;|"
_SEPARATOR_RUN = re.compile(r"[\s,;|]*[,;|][\s,;|]*")


def list_name_key(text: str) -> str:
    """Return ``fold(text)`` with each run of separators and the spaces around it as one ``,``.

    How the import reads a group or label name: a cell is split by ``,`` ``;``
    ``|``, so « Sales, EMEA », « Sales; EMEA » and « Sales ,EMEA » are one name
    to it (and « ,Sales » is « Sales »). The rule twins and stored keys of groups
    and labels are made with, and the key the import looks their names up by.
    """
    return _SEPARATOR_RUN.sub(",", fold(text)).strip(",")


def twin_of(
    name: str, others: Iterable[str], key: Callable[[str], str] = list_name_key
) -> str | None:
    """Return the first of ``others`` that ``key`` reads as ``name``, or None.

    ``key`` is the very function the import matches these names with
    (``list_name_key`` for groups and labels, ``imports.columns.header_key`` for custom fields'
    columns): two names it reads as one would make an organization's own export
    re-import as moves between them, so the second is refused where it is made.
    """
    wanted = key(name)
    return next((other for other in others if key(other) == wanted), None)


def stored_key(name: str, key: Callable[[str], str] = list_name_key) -> str:
    """Return the hashed ``key(name)`` a unique constraint holds (fixed length, any name).

    The database's guard behind ``twin_of``: two names ``key`` reads as one get
    the same stored key, and the second insert fails however the race is run.
    """
    return hashlib.sha256(key(name).encode()).hexdigest()
