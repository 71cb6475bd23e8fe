"""Narrowing a SCIM filter in the database: a query keeping at least every match.

scim2-models then evaluates the exact filter on those candidates only (storage.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from scim2_models import (
    Extension,
    Resource,
    default_comparison_key,
)
from scim2_models.path.expressions import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Present,
    ValuePath,
)
from scim2_models.path.resolution import AttributeBinding, _resolve_filter_path, coerce_value
from scim2_models.policy import _effective_policy

from equipage.accounts.models import MemberState
from equipage.core.ids import parse_id
from equipage.scim.models import ScimExtra
from equipage.scim.provider import ENTERPRISE_SCHEMA, provider

# scim2-models compares strings through its comparison key: NFC, then lowercase
# unless the attribute is caseExact, then NFC again. A database cannot do that
# (SQLite's LIKE folds ASCII letters only, a column may hold NFD text), so a
# string comparison is narrowed on the value's ASCII runs only, which is exact
# for ASCII characters: under that key, an ASCII character of a stored value
# stays itself (lowercased), a non-ASCII one never becomes ASCII, and nothing
# disappears, so every ASCII run of a compared value is a run of the stored
# one, case aside. Four characters break this rule (U+0130 lowers to "i" and a
# dot, U+037E, U+1FEF and U+212A normalize to ";", "`" and "K"): a stored value
# holding one of them is always kept as a candidate.
_FOLDS_TO_ASCII = ("\u0130", "\u037e", "\u1fef", "\u212a")
# The ASCII characters those four can become (lowercased unless caseExact): a
# value free of them cannot meet one of the four, so it needs no escape hatch
# (and an exact "eq" keeps its index).
_ASCII_IMAGES = {False: frozenset("ik;`"), True: frozenset("K;`")}
# User attributes read from Member columns: (field, sub-field) -> column.
_USER_COLUMNS: dict[tuple[str, str | None], str] = {
    ("user_name", None): "login",
    ("name", "given_name"): "first_name",
    ("name", "family_name"): "last_name",
    ("emails", "value"): "email",
    ("external_id", None): "external_id",
    ("title", None): "job_title",
}
_GROUP_COLUMNS: dict[tuple[str, str | None], str] = {("display_name", None): "name"}
_DATES = {"created": "created_at", "last_modified": "updated_at"}
_ORDERING = {
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}
_TEXT_OPERATORS = (CompareOperator.eq, CompareOperator.co, CompareOperator.sw, CompareOperator.ew)


def _ascii_runs(value: str) -> list[tuple[int, str]]:
    """Return the maximal runs of ASCII characters but NUL in ``value``, with their offsets."""
    runs: list[tuple[int, str]] = []
    start: int | None = None
    for index, char in enumerate(value + "\x80"):
        # NUL breaks a run too: PostgreSQL refuses it in a parameter, and no column holds it.
        plain = char.isascii() and char != "\x00"
        if plain and start is None:
            start = index
        elif not plain and start is not None:
            runs.append((start, value[start:index]))
            start = None
    return runs


def _text_q(column: str, op: CompareOperator, value: str, case_exact: bool) -> Q | None:
    """Return a superset query for ``column <op> value``, ``value`` already in comparison form.

    None when the value has no ASCII character to narrow on.
    """
    exact = "exact" if case_exact else "iexact"
    contains = "contains" if case_exact else "icontains"
    starts = "startswith" if case_exact else "istartswith"
    ends = "endswith" if case_exact else "iendswith"
    escape = Q()
    if set(value) & _ASCII_IMAGES[case_exact]:
        # The value holds a character one of _FOLDS_TO_ASCII can become: keep those rows.
        for char in _FOLDS_TO_ASCII:
            escape |= Q(**{f"{column}__contains": char})
    if op == CompareOperator.eq and value.isascii() and "\x00" not in value:
        return Q(**{f"{column}__{exact}": value}) | escape
    runs = [(start, run) for start, run in _ascii_runs(value) if run]
    if not runs:
        return None
    parts: list[Q] = []
    for start, run in runs:
        at_start = start == 0 and op in (CompareOperator.eq, CompareOperator.sw)
        at_end = start + len(run) == len(value) and op in (CompareOperator.eq, CompareOperator.ew)
        if at_start:
            parts.append(Q(**{f"{column}__{starts}": run}))
        if at_end:
            parts.append(Q(**{f"{column}__{ends}": run}))
        if not at_start and not at_end:
            parts.append(Q(**{f"{column}__{contains}": run}))
    narrowed = parts[0]
    for part in parts[1:]:
        narrowed &= part
    return narrowed | escape


def _extra_has(resource_name: str, *keys: str) -> Q:
    """Return the rows whose ScimExtra holds the JSON path ``keys`` (a superset of its matches)."""
    owner = "member_id" if resource_name == "User" else "group_id"
    lookup = "__".join(("data", *keys[:-1], "has_key"))
    return Q(Exists(ScimExtra.objects.filter(**{owner: OuterRef("pk"), lookup: keys[-1]})))


def _extra_emails_q(value: str, case_exact: bool) -> Q:
    """Keep the members whose ScimExtra e-mails may hold ``value`` (in comparison form).

    Each ASCII run of the value is searched in the JSON text of the row: JSON
    writes an ASCII character as itself unless it is a quote, a backslash, a
    control character (or a slash, for some encoders), so a run free of those
    is a superset test. The four
    characters of _FOLDS_TO_ASCII are looked for as themselves and as the
    escapes JSON may spell them with.
    """
    rows = ScimExtra.objects.filter(member_id=OuterRef("pk"), data__has_key="emails")
    runs = [run for _, run in _ascii_runs(value) if run]
    if not runs or any(c in '"\\/' or c < " " for c in "".join(runs)):
        return Q(Exists(rows))
    found = Q()
    for run in runs:
        found &= Q(text__icontains=run)
    if set(value) & _ASCII_IMAGES[case_exact]:
        for char in _FOLDS_TO_ASCII:
            found |= Q(text__contains=char) | Q(text__icontains=f"\\u{ord(char):04x}")
    return Q(Exists(rows.annotate(text=Cast("data", TextField())).filter(found)))


def _alias(model: type[Any] | None, field_name: str) -> str | None:
    """Return the SCIM name a pydantic field of ``model`` is published under."""
    field = getattr(model, "model_fields", {}).get(field_name)
    if field is None:
        return None
    return cast(str | None, field.serialization_alias or field.alias or field_name)


def _comparable(binding: AttributeBinding, value: str) -> str | None:
    """Return ``value`` as scim2-models compares it, or None under a policy we cannot mirror."""
    if _effective_policy().comparison_key is not default_comparison_key:
        return None
    try:
        return cast(str, binding.comparable(value))
    except ValueError:
        return None


def _email_item_q(node: FilterNode) -> Q | None:
    """Narrow the inner filter of ``emails[...]`` for the entry built from Member.email."""
    if isinstance(node, Comparison) and node.attr_path.attr.lower() == "value":
        if node.attr_path.sub_attr or node.op not in _TEXT_OPERATORS:
            return None
        if not isinstance(node.value, str):
            return None
        user = cast(type[Resource[Any]], provider().model_for("User"))
        binding = _resolve_filter_path(user, AttrPath("emails", "value"), strict=False)
        value = _comparable(binding, node.value) if binding else None
        return _text_q("email", node.op, value, False) if value is not None else None
    return _combine(node, _email_item_q)


def _combine(node: FilterNode, leaf: Any) -> Q | None:
    """Combine the narrowing of ``and``/``or``; a negation is not narrowed."""
    if isinstance(node, LogicalExpr):
        parts = [leaf(term) for term in node.terms]
        if node.op == LogicalOperator.and_:
            known = [p for p in parts if p is not None]
            if not known:
                return None
            both: Q = known[0]
            for term_q in known[1:]:
                both &= term_q
            return both
        if any(p is None for p in parts):
            return None
        either = cast(Q, parts[0])
        for part in parts[1:]:
            either |= cast(Q, part)
        return either
    # Not, and anything else: the negation of a superset is not a superset.
    return None


def prefilter(node: FilterNode, resource_name: str) -> Q | None:
    """Return a query that keeps at least every match of ``node``, or None to scan everything.

    scim2-models then evaluates the filter itself on the candidates, so this
    only has to be a superset, and it must be one: a row it drops is a match
    lost. Each node is resolved as scim2-models resolves it (names, URNs, the
    ``value`` convention of multi-valued attributes).
    """
    model = provider().model_for(resource_name) if resource_name else None
    if model is None:
        return None
    if isinstance(node, (Comparison, Present, ValuePath)):
        try:
            binding = _resolve_filter_path(
                model, node.attr_path, strict=False, for_comparison=isinstance(node, Comparison)
            )
        except Exception:
            return None
        if binding is None:
            return None
        if isinstance(node, ValuePath):
            return _value_path_q(node, binding, resource_name)
        if isinstance(node, Present):
            return _present_q(binding, resource_name)
        return _comparison_q(node, binding, resource_name)
    return _combine(node, lambda term: prefilter(term, resource_name))


def _columns(resource_name: str) -> dict[tuple[str, str | None], str]:
    return _USER_COLUMNS if resource_name == "User" else _GROUP_COLUMNS


def _is_extension(binding: AttributeBinding) -> bool:
    return isinstance(binding.model, type) and issubclass(binding.model, Extension)


def _extra_q(binding: AttributeBinding, resource_name: str) -> Q | None:
    """Narrow an attribute only ScimExtra holds to the rows that hold it at all."""
    if _is_extension(binding):
        return _extra_has(resource_name, ENTERPRISE_SCHEMA)
    key = (binding.field_name, binding.sub_field_name)
    if key in _columns(resource_name) or binding.field_name in ("id", "meta", "schemas"):
        return None
    if binding.field_name in ("groups", "members", "active"):
        return None  # computed from memberships or a column: never in ScimExtra
    if resource_name == "User" and binding.field_name == "emails":
        # The entry built from Member.email carries a value and primary=true.
        return ~Q(email="") | _extra_has(resource_name, "emails")
    head = _alias(binding.model, binding.field_name)
    if head is None:
        return None
    if resource_name == "User" and binding.field_name == "name":
        sub = _alias(binding.field_type, binding.sub_field_name or "")
        return _extra_has(resource_name, "name", sub) if sub else None
    return _extra_has(resource_name, head)


def _present_q(binding: AttributeBinding, resource_name: str) -> Q | None:
    column = _columns(resource_name).get((binding.field_name, binding.sub_field_name))
    if (
        column is None
        and resource_name == "User"
        and binding.field_name == "emails"
        and binding.sub_field_name in (None, "value")
    ):
        column = "email"
    if column is not None:
        present = ~Q(**{column: ""})
        if column == "email":
            present |= _extra_has(resource_name, "emails")
        return present
    return _extra_q(binding, resource_name)


def _comparison_q(node: Comparison, binding: AttributeBinding, resource_name: str) -> Q | None:
    op, value = node.op, node.value
    if op == CompareOperator.ne or value is None:
        return None
    field, sub = binding.field_name, binding.sub_field_name
    if field == "id" and sub is None:
        if op != CompareOperator.eq or not isinstance(value, str):
            return None
        pk = parse_id(value)
        return Q(pk=pk) if pk is not None else Q(pk__in=[])
    if field == "meta" and sub in _DATES:
        return _date_q(node, binding, "created_at" if resource_name == "Group" else _DATES[sub])
    if resource_name == "User" and field == "active" and sub is None:
        if op != CompareOperator.eq or not isinstance(value, bool):
            return None
        is_active = Q(state=MemberState.ACTIVE)
        return is_active if value else ~is_active
    column = _columns(resource_name).get((field, sub))
    if column is not None:
        if op not in _TEXT_OPERATORS or not isinstance(value, str):
            return None
        compared = _comparable(binding, value)
        if compared is None:
            return None
        narrowed = _text_q(column, op, compared, binding.case_exact)
        if narrowed is None:
            return None
        if column == "email":
            # The other addresses live in ScimExtra.
            narrowed |= _extra_emails_q(compared, binding.case_exact)
        return narrowed
    return _extra_q(binding, resource_name)


def _date_q(node: Comparison, binding: AttributeBinding, column: str) -> Q | None:
    """Narrow meta.created / meta.lastModified on the column they are published from."""
    if node.op != CompareOperator.eq and node.op not in _ORDERING:
        return None
    try:
        moment = coerce_value(binding, node.value, node.op)
    except Exception:
        return None
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        # scim2-models cannot order a naive moment against an aware one: leave it to it.
        return None
    lookup = "exact" if node.op == CompareOperator.eq else _ORDERING[node.op]
    return Q(**{f"{column}__{lookup}": moment})


def _value_path_q(node: ValuePath, binding: AttributeBinding, resource_name: str) -> Q | None:
    """Narrow ``attr[filter]``: some value of ``attr`` must exist, and match for the e-mail."""
    if resource_name == "User" and binding.field_name == "emails":
        inner = _email_item_q(node.val_filter)
        built = ~Q(email="")
        if inner is not None:
            built &= inner
        return built | _extra_has(resource_name, "emails")
    return _extra_q(binding, resource_name)
