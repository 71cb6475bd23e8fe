"""French elision: « de Atelier Boréal » is written « d’Atelier Boréal ».

A translated sentence puts a name after « de », « le », « que »… without knowing the
name: ``elide`` mends the sentence once the name is in, before that name only (a person
called « de Oliveira » keeps their particle). Only French is touched, and only before a
vowel: a name starting with an « h » is left alone (aspirated or not, the spelling
cannot tell).
"""

from __future__ import annotations

import re

from django.utils.translation import get_language

_VOWELS = "AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜaeiouyàâäéèêëîïôöùûü"
_SHORT = {"de": "d", "le": "l", "la": "l", "que": "qu", "jusque": "jusqu", "ne": "n", "je": "j"}


def elide(text: str, name: str, language: str | None = None) -> str:
    """Return ``text`` with « de <name> » made « d’<name> » when French and ``name`` allows."""
    language = language or get_language() or ""
    if not language.startswith("fr") or not name or name[0] not in _VOWELS:
        return text
    words = "|".join(_SHORT)
    pattern = re.compile(rf"\b({words}) (?={re.escape(name)})", re.IGNORECASE)

    def short(match: re.Match[str]) -> str:
        word = match.group(1)
        cut = _SHORT[word.lower()]
        return (cut.capitalize() if word[0].isupper() else cut) + "’"

    return pattern.sub(short, text)
