"""Removing every row of one organization in a few set-based statements.

``Organization.delete()`` goes through Django's collector, which loads every
related row (a million members, their roles, groups, audit rows...) into
Python before deleting them. The plan below is read from the models' own
foreign keys instead, so a table added later is covered without touching this
module, and each table costs one ``DELETE`` or ``UPDATE`` whatever its size:

- a model with a CASCADE key to ``Organization`` loses its rows of that
  organization (children before parents);
- a SET_NULL key to ``Organization`` or to one of those models is cleared,
  as the collector would have done (the audit trail keeps its rows);
- a CASCADE key from a model outside the organization into one of those
  models deletes the referring rows too;
- PROTECT / RESTRICT keys make the plan refuse to run at all (a test builds
  the plan, so such a model fails the suite rather than a deletion).

Database triggers still fire (the SQLite search index drops its rows), and
foreign keys are checked at commit, so a missed reference rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from equipage.organizations.models import Organization

# Checks run, inside the deletion's transaction and with the organization locked,
# before anything is deleted; each raises (Conflict...) to refuse. Domains above
# ``organizations`` register theirs when their AppConfig is ready, so this
# package never imports them (the imports refuse while an import runs).
DELETION_GUARDS: list[Callable[[Organization], None]] = []


def deletion_guard(fn: Callable[[Organization], None]) -> Callable[[Organization], None]:
    """Register ``fn`` to be asked before an organization is deleted."""
    DELETION_GUARDS.append(fn)
    return fn


def refuse_unsafe_deletion(organization: Organization) -> None:
    """Run every registered guard; the first that raises refuses the deletion."""
    for guard in DELETION_GUARDS:
        guard(organization)


@dataclass(frozen=True)
class Step:
    """One statement of the plan: delete rows, or clear one key, of one model."""

    model: type[models.Model]
    kind: str  # "delete" or "set_null"
    via: str  # the field that ties the rows to the organization
    parent: type[models.Model] | None = None  # for keys into an organization's model
    column: str = ""  # the key cleared by a set_null step

    def describe(self) -> str:
        target = "organization" if self.parent is None else self.parent._meta.label
        return f"{self.kind} {self.model._meta.label}.{self.column or self.via} ({target})"


@dataclass
class Plan:
    owned: list[type[models.Model]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def _foreign_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and not f.remote_field.model._meta.abstract
    ]


def _all_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]


@cache
def deletion_plan() -> Plan:
    """Return the ordered statements that remove one organization; refuse unknown shapes."""
    org_key: dict[type[models.Model], str] = {}
    clears: list[Step] = []
    for model in _all_models():
        for fk in _foreign_keys(model):
            if fk.related_model is not Organization:
                continue
            on_delete = fk.remote_field.on_delete
            if on_delete is models.CASCADE:
                org_key[model] = fk.name
            elif on_delete is models.SET_NULL:
                clears.append(Step(model, "set_null", fk.name, None, fk.name))
            elif on_delete is not models.DO_NOTHING:
                raise ImproperlyConfigured(
                    f"organization deletion cannot handle {model._meta.label}.{fk.name}"
                    f" ({getattr(on_delete, '__name__', on_delete)}): give the key CASCADE or SET_NULL"
                )
    owned = _children_first(set(org_key))
    steps: list[Step] = []
    # Keys from outside the organization's tables into them, handled before any delete.
    for model in _all_models():
        for fk in _foreign_keys(model):
            parent = fk.related_model
            if parent not in org_key or model in org_key or parent is model:
                continue
            on_delete = fk.remote_field.on_delete
            if on_delete is models.SET_NULL:
                steps.append(Step(model, "set_null", fk.name, parent, fk.name))
            elif on_delete is models.CASCADE:
                if _is_referenced(model):
                    raise ImproperlyConfigured(
                        f"organization deletion cannot handle {model._meta.label}:"
                        " it cascades two levels deep from an organization's table"
                    )
                steps.append(Step(model, "delete", fk.name, parent))
            elif on_delete is not models.DO_NOTHING:
                raise ImproperlyConfigured(
                    f"organization deletion cannot handle {model._meta.label}.{fk.name}"
                    f" ({getattr(on_delete, '__name__', on_delete)}): give the key CASCADE or SET_NULL"
                )
    # Within the organization's tables, any key other than CASCADE / SET_NULL / DO_NOTHING
    # (Group.parent is PROTECT) only guards rows that this plan deletes as well.
    steps.extend(Step(m, "delete", org_key[m]) for m in owned)
    return Plan(owned=owned, steps=clears + steps)


def _is_referenced(model: type[models.Model]) -> bool:
    return any(fk.related_model is model for m in _all_models() for fk in _foreign_keys(m))


def _children_first(owned: set[type[models.Model]]) -> list[type[models.Model]]:
    """Order the models so that a model comes before every model it points to."""
    order: list[type[models.Model]] = []
    seen: set[type[models.Model]] = set()

    def visit(model: type[models.Model], path: tuple[type[models.Model], ...]) -> None:
        if model in seen:
            return
        for other in owned:
            if other is not model and other not in path and _points_to(other, model):
                visit(other, (*path, model))
        seen.add(model)
        order.append(model)

    for model in sorted(owned, key=lambda m: m._meta.label):
        visit(model, ())
    return order


def _points_to(model: type[models.Model], parent: type[models.Model]) -> bool:
    return any(fk.related_model is parent for fk in _foreign_keys(model))


def delete_organization_rows(organization_id: int) -> dict[str, int]:
    """Run the plan for one organization; return rows touched per step (for the audit)."""
    counts: dict[str, int] = {}
    for step in deletion_plan().steps:
        counts[step.describe()] = _run(step, organization_id)
    Organization.objects.filter(pk=organization_id)._raw_delete(Organization.objects.db)
    return counts


def _run(step: Step, organization_id: int) -> int:
    manager = step.model._base_manager
    if step.parent is None:
        rows = manager.filter(**{f"{step.via}_id": organization_id})
    else:
        key = _org_key_of(step.parent)
        parents = step.parent._base_manager.filter(**{f"{key}_id": organization_id})
        rows = manager.filter(**{f"{step.via}__in": parents.values("pk")})
    if step.kind == "set_null":
        return rows.update(**{step.column: None})
    return int(rows._raw_delete(rows.db))


def _org_key_of(model: type[models.Model]) -> str:
    for fk in _foreign_keys(model):
        if fk.related_model is Organization and fk.remote_field.on_delete is models.CASCADE:
            return fk.name
    raise LookupError(model._meta.label)
