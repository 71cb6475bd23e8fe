"""The directory's filter choices (groups, labels, custom fields), cached by each web process.

They are the same for every page of an organization and change rarely, but
reading and laying them out (hundreds of groups, listed twice) was a tenth
of a directory page's CPU and three of its queries. Each process keeps them
per organization under its catalog version (``CatalogVersion``, written by
triggers in the writer's transaction, whatever wrote the rows): a page reads
that one value, and a group added by any process or node shows on the next
page. An organization without a version yet is read every time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from equipage.accounts.selectors import custom_fields
from equipage.directory.models import CatalogVersion
from equipage.groups.selectors import group_tree, labels_by_name

# Organizations whose choices one process keeps (a dict cleared when full: rarely reached).
MAX_ORGANIZATIONS = 256


@dataclass(frozen=True)
class Catalog:
    groups: list[tuple[int, str]]  # (id, name indented by its depth), in tree order
    labels: list[Any]  # Label rows, by name
    fields: list[Any]  # CustomField rows, in their order
    options: SafeString  # the groups as <option>s, none selected
    # Pieces of page laid out from this catalog (web/directory_fragments.py), by their inputs:
    # gone with the catalog when its version changes.
    laid_out: dict[Any, SafeString] = field(default_factory=dict, compare=False, repr=False)

    def group_options(self, selected: int | None) -> SafeString:
        """Return the groups' <option>s with ``selected`` marked (an id: no other match)."""
        if selected is None:
            return self.options
        value = int(selected)
        # Escaped names never hold "<option": only the tag of that id matches.
        marked = self.options.replace(
            f'<option value="{value}">', f'<option value="{value}" selected>', 1
        )
        return mark_safe(marked)  # noqa: S308 (self.options is escaped; the id is an int)


_cache: dict[int, tuple[int, Catalog]] = {}
_lock = threading.Lock()


def catalog_version(organization_id: int) -> int | None:
    """Return the organization's catalog version (one indexed read), None if it has none."""
    table = connection.ops.quote_name(CatalogVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {table} WHERE organization_id = %s", [organization_id])  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else None


def directory_catalog(organization: Any) -> Catalog:
    """Return the organization's filter choices: this process's copy if still current."""
    version = catalog_version(organization.pk)
    if version is not None:
        kept = _cache.get(organization.pk)
        if kept is not None and kept[0] == version:
            return kept[1]
    # Read after the version: a change made in between is newer than the version kept
    # with it, so the next page reads again.
    catalog = _read(organization)
    if version is not None:
        with _lock:
            if len(_cache) >= MAX_ORGANIZATIONS:
                _cache.clear()
            _cache[organization.pk] = (version, catalog)
    return catalog


def _read(organization: Any) -> Catalog:
    # The tree in path order, each name indented by its depth ("/1/4/" is one level down).
    groups = [(pk, "— " * depth + name) for pk, name, depth in group_tree(organization.pk)]
    options = format_html_join("", '<option value="{}">{}</option>', groups)
    return Catalog(
        groups=groups,
        labels=labels_by_name(organization.pk),
        fields=custom_fields(organization),
        options=options,
    )
