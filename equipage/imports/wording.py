"""An import's changes in the coordinator's words: the file's column names and cell words.

The report keeps each change with the roster's internal names (``last_name``,
``state: active → deactivated``); the page and the changes download show them as the
export writes them in the viewer's language (« Nom », « État : Activé → Désactivé »).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from equipage.imports import columns as C

CUSTOM = "custom:"
_STATE_FALLBACK = {
    "fr": {"created": "Créé", "invited": "Invité"},
    "en": {"created": "Created", "invited": "Invited"},
}


def _lang(language: str) -> str:
    return "fr" if (language or "").lower().startswith("fr") else "en"


def column_name(key: str, language: str, custom_names: Mapping[str, str] | None = None) -> str:
    """Return the header the export writes for ``key`` (a custom field: its name)."""
    if key.startswith(CUSTOM):
        slug = key[len(CUSTOM) :]
        return (custom_names or {}).get(slug, slug)
    column = C.COLUMN_BY_KEY.get(key)
    if column is None:
        return key
    return column.fr if _lang(language) == "fr" else column.en


def cell_words(key: str, value: Any, language: str) -> str:
    """Return a value as a cell of the export holds it (a state word, role words, a list)."""
    lang = _lang(language)
    if value is None or value == "" or value == []:
        return ""
    if key == C.STATE:
        active, deactivated = C.STATE_WORDS[lang]
        words = {"active": active, "deactivated": deactivated, **_STATE_FALLBACK[lang]}
        return words.get(str(value), str(value))
    if key == C.ROLES:
        roles = value if isinstance(value, list | tuple) else [value]
        return ", ".join(C.ROLE_WORDS[lang].get(str(r), str(r)) for r in roles)
    if key == C.PASSWORD:
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _pair(pair: Any) -> tuple[Any, Any]:
    if isinstance(pair, Mapping):
        return pair.get("before"), pair.get("after")
    if isinstance(pair, list | tuple) and len(pair) == 2:
        return pair[0], pair[1]
    return None, pair


def worded_fields(
    fields: Mapping[str, Any] | None, language: str, custom_names: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """Return a change's fields as ``{"column", "before", "after"}`` in the viewer's words."""
    out = []
    for key, pair in (fields or {}).items():
        before, after = _pair(pair)
        out.append(
            {
                "column": column_name(key, language, custom_names),
                "before": cell_words(key, before, language),
                "after": cell_words(key, after, language),
            }
        )
    return out


def worded_changes(
    changes: Iterable[dict[str, Any]], language: str, custom_names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Give each change its ``worded`` fields (for the page)."""
    return [
        {**c, "worded": worded_fields(c.get("fields"), language, custom_names)} for c in changes
    ]


def custom_names(organization: Any) -> dict[str, str]:
    """Return the organization's custom fields' names by key (their column in the file)."""
    from equipage.accounts.models import CustomField

    return dict(CustomField.objects.filter(organization=organization).values_list("key", "name"))
