"""The registry of erasure: what each app cleans when a member is erased, and the cleaning.

``accounts.erasure.erase_members`` is the one routine that erases members; it
builds an ``Erasure`` (the members' identifiers and pseudonyms) and hands it to
``scrub_linked_rows`` (every table pointing at the member with a key that
outlives them, found from the models' own keys) and to every function
registered here with ``@scrubber`` (what no key ties to the member: an address
quoted in another row, a webhook payload, an import report). This module is on
the ground floor so that any app registers without importing ``accounts``:
a table added later registers its scrubber in its AppConfig.ready.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models

# Keys of a JSON object that hold a person's identifiers: in an object that is an erased
# member's (their audit snapshot, a webhook's member object), their values are replaced.
PERSONAL_KEYS = frozenset(
    {
        "login",
        "email",
        "first_name",
        "last_name",
        "phone",
        "job_title",
        "external_id",
        "name",
        "full_name",
        "userName",
        "search_text",
    }
)
# Keys that identify whose object it is, for the erasure to recognise it.
_ID_KEYS = ("login", "email", "phone", "external_id", "userName")
MIN_STRONG = 4  # shorter values would erase other people's words


def _distinctive_login(login: str) -> bool:
    """Tell whether a login is unlikely to be an ordinary word ("mia.dupont", "mdupont42"):
    only those are searched for across the organization; "admin" is not."""
    return len(login) >= MIN_STRONG and (not login.isalpha() or len(login) >= 10)


@dataclass(frozen=True)
class ErasedMember:
    """What the erasure knows of one member: their identifiers and their pseudonym.

    ``former`` holds the (column, value) pairs they had before (an address they
    changed, a former name, from their own audit trail): searched for like
    the current ones, since the old address stays in the snapshots and mails
    written before the change.
    """

    pk: int
    pseudonym: str
    login: str = ""
    email: str = ""
    phone: str = ""
    external_id: str = ""
    first_name: str = ""
    last_name: str = ""
    job_title: str = ""
    former: tuple[tuple[str, str], ...] = ()

    def all_of(self, column: str) -> list[str]:
        """Return the member's current and former values of ``column``, current first."""
        found = [getattr(self, column), *(v for k, v in self.former if k == column)]
        return list(dict.fromkeys(v for v in found if v))

    @property
    def strong(self) -> tuple[str, ...]:
        """Return what names this member alone, searched for across the organization: their
        address, phone, external id, full name and a login that is not an ordinary word
        (current and former). A first name alone ("Jean") is not: it is replaced only in
        rows tied to them."""
        found = [*self.all_of("email"), *self.all_of("phone"), *self.all_of("external_id")]
        found += [login for login in self.all_of("login") if _distinctive_login(login)]
        for first in self.all_of("first_name"):
            for last in self.all_of("last_name"):
                found += [f"{first} {last}", f"{last} {first}"]
        return tuple(dict.fromkeys(t.strip() for t in found if len(t.strip()) >= MIN_STRONG))

    @property
    def weak(self) -> tuple[str, ...]:
        """Return the rest of what they are called: replaced only in rows tied to them."""
        found = [
            v
            for column in ("login", "first_name", "last_name", "job_title")
            for v in self.all_of(column)
        ]
        return tuple(dict.fromkeys(t for t in found if len(t) >= 2 and t not in self.strong))

    def owns(self, value: dict[str, Any]) -> bool:
        """Tell whether a JSON object is about this member: it holds their login, address,
        phone or external id (current or former) under its key, or their id beside a login."""
        for key in _ID_KEYS:
            v = value.get(key)
            if not isinstance(v, str) or not v:
                continue
            mine = self.all_of("login" if key == "userName" else key)
            if v.casefold() in {m.casefold() for m in mine}:
                return True
        return value.get("id") == self.pk and "login" in value


def _replaced(value: Any, alias: str) -> Any:
    """Return ``value`` with every non-empty string in it, at any depth, replaced by ``alias``
    (a personal value of an erased member's object: ``{"before": "Ana", "after": "Anna"}``)."""
    if isinstance(value, str):
        return alias if value else value
    if isinstance(value, list):
        return [_replaced(v, alias) for v in value]
    if isinstance(value, dict):
        return {k: _replaced(v, alias) for k, v in value.items()}
    return value


def _bounded(terms: Iterable[str]) -> re.Pattern[str]:
    """Return a pattern finding any of ``terms`` as whole words, case-insensitively."""
    ordered = sorted(set(terms), key=len, reverse=True)
    body = "|".join(re.escape(t) for t in ordered) or r"(?!x)x"
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


@dataclass
class Erasure:
    """One erasure under way, in one organization: passed to every scrubber."""

    organization: Any  # the Organization
    members: list[ErasedMember]
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    @property
    def ids(self) -> list[int]:
        return [m.pk for m in self.members]

    def by_pk(self, pk: int | None) -> ErasedMember | None:
        return next((m for m in self.members if m.pk == pk), None)

    def strong_terms(self) -> list[str]:
        """Return what to search stored text for: every strong identifier, its JSON-escaped
        twin (SQLite keeps ``é`` as ``\\u00e9``), and each login as a JSON pair
        (``"login": "mia"``), so that an object naming them by an ordinary login is found."""
        terms: list[str] = []
        for m in self.members:
            for term in m.strong:
                terms += [term, json.dumps(term)[1:-1]]
            for login in m.all_of("login"):
                terms += [
                    f'"login": {json.dumps(login)}',
                    f'"login": {json.dumps(login, ensure_ascii=False)}',
                ]
        return list(dict.fromkeys(terms))

    def _strong_pattern(self) -> re.Pattern[str]:
        if self._pattern is None:
            self._pattern = _bounded(t for m in self.members for t in m.strong)
        return self._pattern

    def _pseudonym_of_term(self, term: str) -> str:
        low = term.casefold()
        for m in self.members:
            if any(low == s.casefold() for s in m.strong):
                return m.pseudonym
        return self.members[0].pseudonym

    def scrub_text(self, text: str, owner: ErasedMember | None = None) -> str:
        """Return ``text`` with every strong identifier replaced by its member's pseudonym;
        with ``owner`` (the row is theirs), their other names too."""
        if not text:
            return text
        text = self._strong_pattern().sub(lambda m: self._pseudonym_of_term(m.group(0)), text)
        if owner is not None and owner.weak:
            text = _bounded(owner.weak).sub(owner.pseudonym, text)
        return text

    def scrub_json(self, value: Any, owner: ErasedMember | None = None) -> Any:
        """Return ``value`` with the members' identifiers replaced at any depth.

        In an object that is a member's (``ErasedMember.owns``, or any object of
        a row that is ``owner``'s), every personal value (``PERSONAL_KEYS``)
        becomes the pseudonym; elsewhere only strong identifiers are replaced.
        Keys are never changed: they are the data's shape.
        """
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, list):
            return [self.scrub_json(v, owner) for v in value]
        if isinstance(value, dict):
            mine = owner or next((m for m in self.members if m.owns(value)), None)
            if mine is None:
                return {k: self.scrub_json(v) for k, v in value.items()}
            return {
                k: _replaced(v, mine.pseudonym) if k in PERSONAL_KEYS else self.scrub_json(v, mine)
                for k, v in value.items()
            }
        return value


Scrubber = Callable[[Erasure], object]

# Registered by each app in its AppConfig.ready (``@scrubber``): what to clean in its
# tables that no key ties to the member. A table added later registers here; its rows
# that point at the member are covered by ``_scrub_linked_rows`` without it.
SCRUBBERS: list[Scrubber] = []


def scrubber(fn: Scrubber) -> Scrubber:
    """Register ``fn`` to be called with every ``Erasure`` before the member rows go."""
    if fn not in SCRUBBERS:
        SCRUBBERS.append(fn)
    return fn


def member_keys() -> list[tuple[type[models.Model], str]]:
    """Return (model, key) for every key to the member model whose rows outlive the member."""
    member_model = apps.get_model("accounts", "Member")
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for f in model._meta.concrete_fields:
            if (
                isinstance(f, models.ForeignKey)
                and f.related_model is member_model
                and f.remote_field.on_delete is not models.CASCADE
            ):
                found.append((model, f.name))
    return found


@dataclass(frozen=True)
class Link:
    """What a key to the member says about its rows: which columns hold personal data, and
    whether the row's JSON is about that member (an audit event's ``member``: yes; its
    ``actor``: no, the snapshot is of whom they changed)."""

    fields: tuple[str, ...]
    owned: bool = True


# (model label, key name) → Link, declared by the app owning the model. A key not declared
# has every text and JSON column of its rows cleaned as the member's own.
LINKS: dict[tuple[str, str], Link] = {}


def declare_link(model: str, key: str, *fields: str, owned: bool = True) -> None:
    """Declare which columns of ``model``'s rows pointing at a member by ``key`` hold
    personal data (``"audit.AuditEvent", "member", "target_label", "before", "after"``)."""
    LINKS[(model, key)] = Link(tuple(fields), owned)


def scrub_linked_rows(erasure: Erasure) -> None:
    """Replace the members' identifiers in every row that points at them and outlives them."""
    for model, key in member_keys():
        link = LINKS.get((model._meta.label, key))
        if link is None:
            columns, owned = _text_columns(model), True
        else:
            columns, owned = [model._meta.get_field(n) for n in link.fields], link.owned  # type: ignore[misc]
        if not columns:
            continue
        rows = model._base_manager.filter(**{f"{key}_id__in": erasure.ids})
        for row in rows.iterator(chunk_size=1000):
            owner = erasure.by_pk(getattr(row, f"{key}_id"))
            scrub_row(erasure, row, columns, owner, json_owned=owned)


def _text_columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and not f.choices
        and not f.primary_key
    ]


def scrub_row(
    erasure: Erasure,
    row: models.Model,
    columns: Iterable[models.Field[Any, Any]],
    owner: ErasedMember | None = None,
    *,
    json_owned: bool = True,
) -> bool:
    """Clean ``row``'s ``columns`` in place and save those that changed; tell if any did.

    ``owner``: the row is tied to this member (their names go from its text too);
    ``json_owned``: its JSON is about them (every personal value in it goes).
    """
    changed = []
    for f in columns:
        value = getattr(row, f.attname)
        if value is None:
            continue
        if isinstance(f, models.JSONField):
            new = erasure.scrub_json(value, owner if json_owned else None)
        else:
            new = erasure.scrub_text(str(value), owner)
            limit = getattr(f, "max_length", None)
            if limit:
                new = new[:limit]
        if new != value:
            setattr(row, f.attname, new)
            changed.append(f.attname)
    if changed:
        type(row)._base_manager.filter(pk=row.pk).update(
            **{name: getattr(row, name) for name in changed}
        )
    return bool(changed)


# Conditions per search query: SQLite parses a chain of ORs as a tree at most 1000 deep.
_CONDITIONS_PER_QUERY = 200


def scrub_matching(erasure: Erasure, qs: models.QuerySet[Any], fields: Iterable[str]) -> int:
    """Clean the rows of ``qs`` whose ``fields`` quote a strong identifier; return how many.

    The search runs a few identifiers at a time (one pass over ``qs`` each), then
    cleans the rows found, a thousand at a time.
    """
    names = list(fields)
    model = qs.model
    columns = [model._meta.get_field(n) for n in names]
    terms = erasure.strong_terms()
    step = max(1, _CONDITIONS_PER_QUERY // max(1, len(names)))
    found: set[Any] = set()
    for start in range(0, len(terms), step):
        q = models.Q(pk__in=[])
        for term in terms[start : start + step]:
            for name in names:
                q |= models.Q(**{f"{name}__icontains": term})
        found.update(qs.filter(q).values_list("pk", flat=True))
    count = 0
    ordered = sorted(found)
    for start in range(0, len(ordered), 1000):
        rows = model._base_manager.filter(pk__in=ordered[start : start + 1000])
        for row in rows:
            count += scrub_row(erasure, row, columns)  # type: ignore[arg-type]
    return count
