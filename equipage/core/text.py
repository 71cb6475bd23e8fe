"""Text normalisation shared by search, matching and login generation."""

from __future__ import annotations

import re

from unidecode import unidecode

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
