"""The directory's filter drawer and bulk bar, laid out once per language, catalog and filter.

The drawer (groups, roles, states, guides, labels, custom fields, sorts, idle
days: about 40 options, 30 translations and 40 conditions) was a third of the
directory template's CPU, the same for every viewer of an organization: it
holds no token and nothing personal. Each process keeps what it laid out on
the organization's catalog (``directory.catalog``): a group, label or field
written anywhere changes the catalog's version, and the next page lays the
drawer out again from the new catalog; the words follow the active language,
which is part of the key.

The bulk bar (its buttons, the groups, labels and roles to act with: about 30
translations and 250 options) is the same for every viewer who may take the
same actions and grant the same roles: those are part of its key. The filter's
query string, different for every search, is put into the kept HTML afterwards,
escaped as the template escapes it.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from equipage.directory.catalog import Catalog
from equipage.directory.selectors import DirectoryQuery

# Drawers one catalog keeps (one per language and filter seen; cleared when full).
MAX_DRAWERS = 128
TEMPLATE = "web/members/_filter_drawer.html"
BULK_TEMPLATE = "web/members/_bulk_bar.html"
# Stands for the filter's query string in a kept bulk bar (no query string holds it).
QUERY_MARK = "\x00filter-qs\x00"


def _key(query: DirectoryQuery) -> tuple[Any, ...]:
    """What the drawer shows of the query: everything but the words searched and the cursors."""
    return (
        get_language(),
        query.group,
        query.subgroups,
        query.role,
        query.state,
        query.guide,
        query.label,
        query.field,
        query.value,
        query.bounced,
        query.idle,
        query.sort,
    )


def filter_drawer(catalog: Catalog, query: DirectoryQuery, context: dict[str, Any]) -> SafeString:
    """Return the drawer's HTML for ``query`` (``context``: the page's, read on a miss only)."""
    key = _key(query)
    kept = catalog.laid_out.get(("drawer", key))
    if kept is None:
        names = ("query", "drawer_filters", "group_options", "roles", "states", "guides")
        more = ("labels", "fields", "idle_choices")
        html = render_to_string(TEMPLATE, {n: context[n] for n in (*names, *more)})
        kept = mark_safe(html.rstrip("\n"))  # noqa: S308 (the template escaped it)
        if len(catalog.laid_out) >= MAX_DRAWERS:
            catalog.laid_out.clear()
        catalog.laid_out[("drawer", key)] = kept
    return kept


def bulk_bar(
    catalog: Catalog, query: DirectoryQuery, context: dict[str, Any], organization: Any
) -> SafeString:
    """Return the bulk bar's HTML (empty when the viewer has no bulk action)."""
    actions = context["actions"]
    if not actions:
        return mark_safe("")
    filter_qs = context["filter_qs"]
    key = (
        "bulk",
        get_language(),
        organization.slug,
        tuple(a.key for a in actions),
        tuple(value for value, _label in context["grantable"]),
        query.group,
        bool(filter_qs),
    )
    kept = catalog.laid_out.get(key)
    if kept is None:
        names = ("actions", "can_edit_selection", "groups", "group_options", "labels", "grantable")
        values = {"organization": organization, **{n: context[n] for n in names}}
        html = render_to_string(
            BULK_TEMPLATE, {**values, "filter_qs": QUERY_MARK if filter_qs else ""}
        )
        kept = mark_safe(html.rstrip("\n"))  # noqa: S308 (the template escaped it)
        if len(catalog.laid_out) >= MAX_DRAWERS:
            catalog.laid_out.clear()
        catalog.laid_out[key] = kept
    if not filter_qs:
        return kept
    return mark_safe(kept.replace(QUERY_MARK, str(conditional_escape(filter_qs))))  # noqa: S308
