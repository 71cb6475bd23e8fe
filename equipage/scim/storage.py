"""A scim2-server storage backed by the ORM: reads through scoped selectors, writes through actions."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Union, cast

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from scim2_models import (
    ForbiddenException,
    InvalidValueException,
    MutabilityException,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    SearchRequest,
    UniquenessException,
)
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import parametrize

from equipage.accounts.actions import member_delete
from equipage.accounts.actions.members import bin_holds
from equipage.accounts.models import Member, MemberState
from equipage.accounts.rules import in_bin
from equipage.core.errors import (
    Conflict,
    DomainError,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from equipage.core.text import free_text_problem, text_problem
from equipage.groups.actions import group_delete
from equipage.groups.models import Group, GroupMembership
from equipage.organizations.models import Organization
from equipage.permissions import Actor, members_visible_to
from equipage.scim.actions import (
    GroupFields,
    UserFields,
    scim_group_create,
    scim_group_update,
    scim_user_create,
    scim_user_update,
)
from equipage.scim.filters import prefilter
from equipage.scim.models import ScimExtra
from equipage.scim.provider import (
    ENTERPRISE_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
    fallback_name,
    provider,
)

# SCIM attributes Equipage keeps in its own columns; the rest goes to ScimExtra.
USER_MAPPED = ("id", "meta", "schemas", "userName", "active", "password", "externalId", "title")
USER_COMPUTED = ("groups",)
GROUP_MAPPED = ("id", "meta", "schemas", "displayName", "members")


@contextmanager
def scim_errors() -> Iterator[None]:
    """Turn the domain errors of our actions into the SCIM errors of RFC 7644 §3.12."""
    try:
        yield
    except NotFound as exc:
        raise NotFoundException(detail=str(exc)) from None
    except Conflict as exc:
        raise UniquenessException(detail=str(exc)) from None
    except InvariantViolation as exc:
        # The owner cannot be deactivated or deleted, seats are counted: the
        # attribute cannot take this value (scimType mutability).
        raise MutabilityException(detail=str(exc)) from None
    except PermissionDenied as exc:
        raise ForbiddenException(detail=str(exc)) from None
    except ValidationFailed as exc:
        raise InvalidValueException(detail=str(exc)) from None
    except DomainError as exc:
        raise InvalidValueException(detail=str(exc)) from None


# Attributes that are names (held to ``text_problem``); any other string is free text.
NAME_ATTRIBUTES = frozenset(
    {"userName", "displayName", "givenName", "familyName", "externalId", "title", "nickName"}
)


def refuse_controls(data: Any, key: str = "") -> None:
    """Refuse (``invalidValue``) a control character anywhere in a resource, before any query.

    PostgreSQL cannot hold a NUL, in a column or in the JSON of the attributes
    Equipage keeps as they came; a name holds no invisible character at all.
    """
    if isinstance(data, dict):
        for name, value in data.items():
            refuse_controls(str(name))
            refuse_controls(value, str(name))
    elif isinstance(data, list):
        for value in data:
            refuse_controls(value, key)
    elif isinstance(data, str):
        problem = text_problem(data) if key in NAME_ATTRIBUTES else free_text_problem(data)
        if problem:
            raise InvalidValueException(detail=f"{key}: {problem}" if key else problem)


def version_of(data: dict[str, Any]) -> str:
    """Return a weak ETag that changes whenever the published attributes change."""
    body = json.dumps({k: v for k, v in data.items() if k != "meta"}, sort_keys=True, default=str)
    return f'W/"{hashlib.sha256(body.encode()).hexdigest()[:20]}"'


def _int_id(resource_id: Any) -> int:
    try:
        value = int(str(resource_id))
    except (TypeError, ValueError):
        raise NotFoundException(detail=_("Resource not found.")) from None
    if value <= 0 or str(value) != str(resource_id):
        raise NotFoundException(detail=_("Resource not found."))
    return value


def _dump(resource: Resource[Any]) -> dict[str, Any]:
    data = resource.model_dump(scim_ctx=None, by_alias=True, exclude_none=True, mode="json")
    extension = data.get(ENTERPRISE_SCHEMA)
    if isinstance(extension, dict):
        extension.pop("schemas", None)
        if not extension:
            data.pop(ENTERPRISE_SCHEMA)
    return data


def _primary_email(emails: list[dict[str, Any]]) -> str:
    chosen = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    return str(chosen.get("value") or "") if chosen else ""


class OrmStorage(ScimStorage):
    """Serve one organization's members as Users and its groups as Groups, for one actor."""

    def __init__(self, actor: Actor, organization: Organization, service: Any = None) -> None:
        self.actor = actor
        self.organization = organization
        # The request's EquipageService: it fills what a PUT leaves out from the last read.
        self.service = service

    # -- plumbing ------------------------------------------------------

    @contextmanager
    def operation(self) -> Iterator[None]:
        """Run one SCIM operation in one transaction: a PATCH applies whole or not at all."""
        with scim_errors(), transaction.atomic():
            yield

    def _model(self, resource_type: ResourceType) -> type[Resource[Any]]:
        return cast(type[Resource[Any]], provider().model_for(resource_type))

    def _members(self) -> QuerySet[Member]:
        return members_visible_to(self.actor)

    def _groups(self) -> QuerySet[Group]:
        return Group.objects.filter(organization=self.organization)

    # -- building resources --------------------------------------------

    def _user_data(
        self, member: Member, extra: dict[str, Any], groups: list[tuple[int, str]]
    ) -> dict[str, Any]:
        data = json.loads(json.dumps(extra))
        data["schemas"] = [USER_SCHEMA] + ([ENTERPRISE_SCHEMA] if ENTERPRISE_SCHEMA in data else [])
        data["id"] = str(member.pk)
        data["userName"] = member.login
        # Empty strings are not values (RFC 7643 §2.5): kept sub-attributes that are
        # empty are left out; the two names the schema requires fall back to the login's
        # local part while a member has none (an owner who has not set up the account).
        fallback = fallback_name(member.login)
        data["name"] = {
            **{k: v for k, v in (data.get("name") or {}).items() if v not in ("", None)},
            "givenName": member.first_name or fallback,
            "familyName": member.last_name or fallback,
        }
        data["active"] = member.state == MemberState.ACTIVE
        if member.external_id:
            data["externalId"] = member.external_id
        if member.job_title:
            data["title"] = member.job_title
        emails = list(data.get("emails") or [])
        if emails:
            index = next((i for i, e in enumerate(emails) if e.get("primary")), 0)
            if member.email:
                emails[index] = {**emails[index], "value": member.email}
            else:
                emails.pop(index)
        elif member.email:
            emails = [{"value": member.email, "primary": True}]
        if emails:
            data["emails"] = emails
        else:
            data.pop("emails", None)
        if groups:
            data["groups"] = [
                {"value": str(gid), "$ref": f"Groups/{gid}", "display": name, "type": "direct"}
                for gid, name in groups
            ]
        data["meta"] = {
            "resourceType": "User",
            "created": member.created_at.isoformat(),
            "lastModified": member.updated_at.isoformat(),
            "version": version_of(data),
        }
        return data

    def _users(self, resource_type: ResourceType, members: Sequence[Member]) -> list[Resource[Any]]:
        ids = [m.pk for m in members]
        extras: dict[int, dict[str, Any]] = {}
        groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            for member_id, data in ScimExtra.objects.filter(member_id__in=chunk).values_list(
                "member_id", "data"
            ):
                extras[member_id] = data
            for member_id, gid, name in (
                GroupMembership.objects.filter(member_id__in=chunk)
                .order_by("group_id")
                .values_list("member_id", "group_id", "group__name")
            ):
                groups[member_id].append((gid, name))
        model = self._model(resource_type)
        return [
            model.model_validate(self._user_data(m, extras.get(m.pk, {}), groups[m.pk]))
            for m in members
        ]

    def _group_data(
        self, group: Group, extra: dict[str, Any], member_ids: list[int]
    ) -> dict[str, Any]:
        data = {k: v for k, v in extra.items() if k != "member_display"}
        displays = extra.get("member_display", {})
        data["schemas"] = [GROUP_SCHEMA]
        data["id"] = str(group.pk)
        data["displayName"] = group.name
        if member_ids:
            data["members"] = [
                {
                    "value": str(mid),
                    "$ref": f"Users/{mid}",
                    "type": "User",
                    **({"display": displays[str(mid)]} if str(mid) in displays else {}),
                }
                for mid in member_ids
            ]
        data["meta"] = {
            "resourceType": "Group",
            "created": group.created_at.isoformat(),
            "lastModified": group.created_at.isoformat(),
            "version": version_of(data),
        }
        return data

    def _group_resources(
        self, resource_type: ResourceType, groups: Sequence[Group]
    ) -> list[Resource[Any]]:
        ids = [g.pk for g in groups]
        extras = dict(ScimExtra.objects.filter(group_id__in=ids).values_list("group_id", "data"))
        members: dict[int, list[int]] = defaultdict(list)
        for gid, mid in (
            GroupMembership.objects.filter(group_id__in=ids)
            .order_by("member_id")
            .values_list("group_id", "member_id")
        ):
            members[gid].append(mid)
        model = self._model(resource_type)
        return [
            model.model_validate(self._group_data(g, extras.get(g.pk, {}), members[g.pk]))
            for g in groups
        ]

    def _resources(
        self, resource_type: ResourceType, objects: Sequence[Any]
    ) -> list[Resource[Any]]:
        if resource_type.name == "User":
            return self._users(resource_type, objects)
        return self._group_resources(resource_type, objects)

    def _queryset(self, resource_type: ResourceType) -> QuerySet[Any]:
        if resource_type.name == "User":
            return self._members()
        if resource_type.name == "Group":
            return self._groups()
        raise NotFoundException(
            detail=_("Unknown resource type %(type)s.") % {"type": resource_type.name}
        )

    def _object(self, resource_type: ResourceType, resource_id: Any, *, lock: bool = False) -> Any:
        qs = self._queryset(resource_type)
        if lock:
            qs = qs.select_for_update()
        found = qs.filter(pk=_int_id(resource_id)).first()
        if found is None:
            raise NotFoundException(
                detail=_("%(type)s %(id)s not found.")
                % {"type": resource_type.name, "id": resource_id}
            )
        return found

    # -- reading -------------------------------------------------------

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        found = self._resources(resource_type, [self._object(resource_type, resource_id)])[0]
        if self.service is not None:
            self.service.current = found
        return found

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        start = search_request.start_index_0 or 0
        count = search_request.count
        scim_filter = search_request.filter
        if scim_filter is None and search_request.sort_by is None and len(resource_types) == 1:
            # The common listing: page in the database, in id order.
            qs = self._queryset(resource_types[0]).order_by("pk")
            total = qs.count()
            # Bounded by the total: a startIndex or count past 2^63 must not reach the database.
            start = min(start, total)
            end = total if count is None else min(start + count, total)
            rows = list(qs[start:end])
            return SearchPage(total, self._resources(resource_types[0], rows))

        candidates: list[Resource[Any]] = []
        for resource_type in resource_types:
            qs = self._queryset(resource_type)
            narrowed = prefilter(scim_filter.ast, resource_type.name or "") if scim_filter else None
            if narrowed is not None:
                qs = qs.filter(narrowed)
            candidates.extend(self._resources(resource_type, list(qs.order_by("pk"))))
        if scim_filter is not None and not scim_filter.models and candidates:
            models = tuple(dict.fromkeys(type(r) for r in candidates))
            scim_filter = parametrize(ScimFilter, Union[models])(str(scim_filter))  # noqa: UP007
        found = [r for r in candidates if scim_filter is None or scim_filter.match(r)]

        def key(resource: Resource[Any]) -> tuple[bool, Any, int]:
            value = search_request.sort_value(resource) if search_request.sort_by else None
            return value is None, value if value is not None else "", int(resource.id or 0)

        descending = (
            search_request.sort_by is not None
            and search_request.sort_order == SearchRequest.SortOrder.descending
        )
        found.sort(key=key, reverse=descending)
        stop = None if count is None else start + count
        return SearchPage(len(found), found[start:stop])

    # -- writing -------------------------------------------------------

    def _check_version(self, current: Resource[Any], expected_version: str | None) -> None:
        if (
            expected_version is not None
            and current.meta
            and current.meta.version != expected_version
        ):
            raise PreconditionFailedException(detail=_("The resource changed since it was read."))

    def _user_fields(self, resource: Resource[Any], exclude_pk: int | None = None) -> UserFields:
        data = _dump(resource)
        refuse_controls(data)
        login = str(data.get("userName") or "").strip()
        if not login:
            raise InvalidValueException(detail=_("userName is required."))
        if any(ord(char) < 32 or ord(char) == 127 for char in login):
            # PostgreSQL refuses NUL even in a lookup; no login holds a control character.
            raise InvalidValueException(detail=_("userName contains a control character."))
        taken = Member.objects.filter(organization=self.organization, login__iexact=login)
        if exclude_pk:
            taken = taken.exclude(pk=exclude_pk)
        holder = taken.only("state").first()
        if holder is not None:
            if in_bin(holder.state):
                raise UniquenessException(detail=bin_holds(_("the login “%(v)s”") % {"v": login}))
            raise UniquenessException(
                detail=_("The userName “%(login)s” is already taken.") % {"login": login}
            )
        name = dict(data.get("name") or {})
        first = str(name.pop("givenName", "") or "").strip()
        last = str(name.pop("familyName", "") or "").strip()
        if not first or not last:
            raise InvalidValueException(
                detail=_("name.givenName and name.familyName are required.")
            )
        password = data.get("password")
        extra = {k: v for k, v in data.items() if k not in USER_MAPPED + USER_COMPUTED}
        if name:
            extra["name"] = name
        else:
            extra.pop("name", None)
        return UserFields(
            login=login,
            first_name=first,
            last_name=last,
            email=_primary_email(list(data.get("emails") or [])),
            job_title=str(data.get("title") or ""),
            external_id=str(data.get("externalId") or ""),
            active=data.get("active") is not False,
            password=str(password) if password else None,
            extra=extra,
        )

    def _group_fields(self, resource: Resource[Any]) -> GroupFields:
        data = _dump(resource)
        refuse_controls(data)
        name = str(data.get("displayName") or "").strip()
        if not name:
            raise InvalidValueException(detail=_("displayName is required."))
        ids: list[int] = []
        displays: dict[str, str] = {}
        for entry in data.get("members") or []:
            kind = entry.get("type")
            if kind not in (None, "User"):
                raise InvalidValueException(detail=_("Only users can be members of a group."))
            try:
                member_id = _int_id(entry.get("value"))
            except NotFoundException:
                raise InvalidValueException(
                    detail=_("Unknown member “%(id)s”.") % {"id": entry.get("value")}
                ) from None
            ids.append(member_id)
            if entry.get("display") is not None:
                displays[str(member_id)] = entry["display"]
        known = set(self._members().filter(pk__in=ids).values_list("pk", flat=True))
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise InvalidValueException(detail=_("Unknown member “%(id)s”.") % {"id": unknown[0]})
        extra = {k: v for k, v in data.items() if k not in GROUP_MAPPED}
        if displays:
            extra["member_display"] = displays
        return GroupFields(name=name, member_ids=list(dict.fromkeys(ids)), extra=extra)

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        with self.operation():
            if resource_type.name == "User":
                member = scim_user_create(
                    actor=self.actor,
                    organization=self.organization,
                    fields=self._user_fields(resource),
                )
                return self._resources(resource_type, [member])[0]
            group = scim_group_create(
                actor=self.actor,
                organization=self.organization,
                fields=self._group_fields(resource),
            )
            return self._resources(resource_type, [group])[0]

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        with self.operation():
            target = self._object(resource_type, resource.id, lock=True)
            self._check_version(self._resources(resource_type, [target])[0], expected_version)
            if resource_type.name == "User":
                target = scim_user_update(
                    actor=self.actor, member=target, fields=self._user_fields(resource, target.pk)
                )
            else:
                target = scim_group_update(
                    actor=self.actor, group=target, fields=self._group_fields(resource)
                )
            return self._resources(resource_type, [target])[0]

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        with self.operation():
            target = self._object(resource_type, resource_id, lock=True)
            self._check_version(self._resources(resource_type, [target])[0], expected_version)
            if resource_type.name == "User":
                member_delete(actor=self.actor, member=target)
            else:
                group_delete(actor=self.actor, group=target)
