"""« de Atelier Boréal » becomes « d’Atelier Boréal » in French, and nothing else changes."""

from __future__ import annotations

from equipage.core.elision import elide


def test_de_before_a_vowel_is_elided_in_french() -> None:
    assert elide("Revenir à l’accueil de Atelier Boréal", "Atelier Boréal", "fr") == (
        "Revenir à l’accueil d’Atelier Boréal"
    )
    assert elide("De Écoles unies", "Écoles unies", "fr") == "D’Écoles unies"


def test_nothing_changes_before_a_consonant_in_english_or_elsewhere_in_the_sentence() -> None:
    assert elide("propriétaire de Acme", "Acme", "en") == "propriétaire de Acme"
    assert elide("propriétaire de Boréal", "Boréal", "fr") == "propriétaire de Boréal"
    # Only before the name: a person called « de Oliveira » keeps their particle.
    text = "Maria de Oliveira, propriétaire de Atelier"
    assert elide(text, "Atelier", "fr") == "Maria de Oliveira, propriétaire d’Atelier"
