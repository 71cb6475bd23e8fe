"""The reader's-language wording of the field errors pydantic reports (English only)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def field_message(error: dict[str, Any]) -> str:
    """Return the message of one pydantic error in the active language.

    The common kinds a client meets are worded here; any other keeps
    pydantic's English text rather than a vaguer translation.
    """
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("string_too_short", "too_short"):
        n = int(ctx.get("min_length", 1))
        return ngettext(
            "Ensure this value has at least %(n)d character or item.",
            "Ensure this value has at least %(n)d characters or items.",
            n,
        ) % {"n": n}
    if kind in ("string_too_long", "too_long"):
        n = int(ctx.get("max_length", 0))
        return ngettext(
            "Ensure this value has at most %(n)d character or item.",
            "Ensure this value has at most %(n)d characters or items.",
            n,
        ) % {"n": n}
    if kind == "string_type":
        return _("Enter a text.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Ensure this value is at least %(limit)s.") % {
            "limit": ctx.get("ge", ctx.get("gt"))
        }
    if kind in ("less_than_equal", "less_than"):
        return _("Ensure this value is at most %(limit)s.") % {
            "limit": ctx.get("le", ctx.get("lt"))
        }
    if kind in ("literal_error", "enum"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in ("bool_type", "bool_parsing"):
        return _("Enter true or false.")
    if kind.startswith("date"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind == "list_type":
        return _("Send a list.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("The body must be a JSON object.")
    if kind == "string_pattern_mismatch":
        return _("This value does not have the expected form.")
    return str(error.get("msg", ""))
