"""Organization-defined custom fields and their values on members."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from equipage.accounts.models import CustomField, CustomFieldKind, CustomFieldValue, Member
from equipage.audit.events import EventType
from equipage.audit.record import record
from equipage.core import clock
from equipage.core.errors import Conflict, ValidationFailed
from equipage.core.text import clean_name, stored_key, twin_of
from equipage.imports.columns import COLUMNS, header_key, standard_column
from equipage.organizations.models import Organization
from equipage.organizations.seats import lock_organization
from equipage.permissions import Actor, Cap, as_actor, authorize


def custom_field_create(
    *,
    actor: Actor | Member,
    organization: Organization,
    name: str,
    kind: str = CustomFieldKind.TEXT,
    choices: list[str] | None = None,
) -> CustomField:
    actor = as_actor(actor)
    authorize(actor, Cap.CUSTOM_FIELD_MANAGE, organization)
    name = clean_name(name, field="name", max_length=100, required=True)
    if kind not in CustomFieldKind.values:
        raise ValidationFailed(_("Unknown field type."), field="kind")
    choices = [clean_name(c, field="choices", max_length=500) for c in (choices or []) if c.strip()]
    if kind == CustomFieldKind.CHOICE and not choices:
        raise ValidationFailed(_("A choice field needs at least one choice."), field="choices")
    with transaction.atomic():
        lock_organization(organization.pk)
        position = CustomField.objects.filter(organization=organization).count()
        key = slugify(name)[:63] or f"field-{position + 1}"
        ensure_custom_field_name_free(organization.pk, name, key)
        try:
            with transaction.atomic():
                field = CustomField.objects.create(
                    organization=organization,
                    key=key,
                    name=name,
                    name_key=stored_key(name, header_key),
                    kind=kind,
                    choices=choices,
                    position=position,
                )
        except IntegrityError:
            raise Conflict(
                _("A custom field with this name already exists."), field="name"
            ) from None
        record(
            actor=actor,
            organization=organization,
            event=EventType.CUSTOM_FIELD_CREATED,
            target=field,
            after={"name": name, "kind": kind, "choices": choices},
        )
    return field


def ensure_custom_field_name_free(organization_id: int, name: str, key: str) -> None:
    """Refuse a name whose column the import would read as another one's.

    A field is its own column in the export, matched by ``header_key`` (case,
    accents, spaces and punctuation ignored) on its name or its key: « Site
    web » and « Siteweb » would be one column, and a field named like a
    standard column (« Téléphone », « Statut ») would be read as that column.
    """
    if not header_key(name):
        raise ValidationFailed(_("A name needs at least one letter or digit."), field="name")
    column = standard_column(name) or standard_column(key)
    if column is not None:
        words = next(c for c in COLUMNS if c.key == column)
        raise Conflict(
            _("“%(n)s” would be read as the standard column “%(fr)s” (“%(en)s”).")
            % {"n": name, "fr": words.fr, "en": words.en},
            field="name",
        )
    for other_name, other_key in CustomField.objects.filter(
        organization_id=organization_id
    ).values_list("name", "key"):
        if twin_of(name, (other_name, other_key), header_key) or twin_of(
            key, (other_name, other_key), header_key
        ):
            raise Conflict(
                _(
                    "The custom field “%(o)s” already exists: the import would read “%(n)s” "
                    "as the same column (it ignores case, accents, spaces and punctuation)."
                )
                % {"o": other_name, "n": name},
                field="name",
            )


def custom_field_delete(*, actor: Actor | Member, field: CustomField) -> None:
    actor = as_actor(actor)
    authorize(actor, Cap.CUSTOM_FIELD_MANAGE, field)
    with transaction.atomic():
        record(
            actor=actor,
            organization=field.organization,
            event=EventType.CUSTOM_FIELD_DELETED,
            target=field,
            before={"name": field.name, "kind": field.kind},
        )
        field.delete()


def clean_custom_value(field: CustomField, value: Any) -> str:
    """Return the stored text of ``value`` for ``field``, or raise with a clear message."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if field.kind == CustomFieldKind.NUMBER:
        try:
            return str(Decimal(text.replace(",", ".")).normalize())
        except InvalidOperation:
            raise ValidationFailed(
                _("“%(v)s” is not a number.") % {"v": text}, field=field.key
            ) from None
    if field.kind == CustomFieldKind.DATE:
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise ValidationFailed(
            _("“%(v)s” is not a date (YYYY-MM-DD or DD/MM/YYYY).") % {"v": text}, field=field.key
        )
    if field.kind == CustomFieldKind.CHOICE and text not in field.choices:
        raise ValidationFailed(
            _("“%(v)s” is not one of: %(c)s.") % {"v": text, "c": ", ".join(field.choices)},
            field=field.key,
        )
    return text[:500]


def member_set_custom_values(
    *, actor: Actor | Member, member: Member, values: dict[str, Any]
) -> None:
    """Set custom field values by field key; an empty value removes it."""
    actor = as_actor(actor)
    authorize(actor, Cap.MEMBER_UPDATE, member)
    fields = {f.key: f for f in CustomField.objects.filter(organization_id=member.org_id)}
    unknown = set(values) - set(fields)
    if unknown:
        raise ValidationFailed(_("Unknown custom field: %(f)s") % {"f": ", ".join(sorted(unknown))})
    cleaned = {key: clean_custom_value(fields[key], v) for key, v in values.items()}
    with transaction.atomic():
        current = {
            v.field.key: v
            for v in CustomFieldValue.objects.filter(member=member).select_related("field")
        }
        before: dict[str, str] = {}
        after: dict[str, str] = {}
        for key, text in cleaned.items():
            old = current.get(key)
            if (old.value if old else "") == text:
                continue
            before[key], after[key] = (old.value if old else ""), text
            if not text:
                old.delete()  # type: ignore[union-attr]
            elif old:
                old.value = text
                old.save(update_fields=["value"])
            else:
                CustomFieldValue.objects.create(
                    organization_id=member.org_id,
                    member=member,
                    field=fields[key],
                    value=text,
                )
        if after:
            record(
                actor=actor,
                organization=member.organization,
                event=EventType.MEMBER_CUSTOM_FIELDS_CHANGED,
                target=member,
                before=before,
                after=after,
            )


# --- Custom values and the deletion date given when a member is created or invited (seed 002).


def clean_creation_extras(
    organization_id: int, custom_values: Mapping[int, str], deletion_date: dt.date | None
) -> list[tuple[CustomField, str]]:
    """Check, before anything is written, what a creation form adds to the new member.

    ``custom_values`` maps a custom field id to its value, checked by the profile's
    rule (``clean_custom_value``); a field of another organization is refused as
    unknown. The deletion date must lie after today: housekeeping deletes a member
    whose date is today or past, so an earlier one would delete the new account at once.
    """
    ids = [pk for pk in custom_values if isinstance(pk, int)]
    fields = {
        f.pk: f for f in CustomField.objects.filter(organization_id=organization_id, pk__in=ids)
    }
    unknown = [str(pk) for pk in custom_values if pk not in fields]
    if unknown:
        raise ValidationFailed(_("Unknown custom field: %(f)s") % {"f": ", ".join(unknown)})
    if deletion_date is not None and deletion_date <= clock.today():
        raise ValidationFailed(
            _("The automatic deletion date must be after today."), field="auto_delete_on"
        )
    cleaned = [(fields[pk], clean_custom_value(fields[pk], v)) for pk, v in custom_values.items()]
    return [(field, text) for field, text in cleaned if text]


def apply_creation_extras(
    *,
    actor: Actor,
    member: Member,
    values: list[tuple[CustomField, str]],
    deletion_date: dt.date | None,
) -> None:
    """Store what ``clean_creation_extras`` checked on a member just created, in its transaction.

    Only an actor who may edit this member's profile afterwards may set them now (the
    profile's own permission, ``MEMBER_UPDATE`` on the member, its groups included);
    each part is audited as the profile audits it.
    """
    if not values and deletion_date is None:
        return
    authorize(actor, Cap.MEMBER_UPDATE, member)
    if deletion_date is not None:
        member.auto_delete_on = deletion_date
        member.save(update_fields=["auto_delete_on"])
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_UPDATED,
            target=member,
            before={"auto_delete_on": None},
            after={"auto_delete_on": deletion_date.isoformat()},
        )
    if values:
        CustomFieldValue.objects.bulk_create(
            [
                CustomFieldValue(
                    organization_id=member.org_id, member=member, field=field, value=text
                )
                for field, text in values
            ]
        )
        record(
            actor=actor,
            organization=member.organization,
            event=EventType.MEMBER_CUSTOM_FIELDS_CHANGED,
            target=member,
            before={field.key: "" for field, _text in values},
            after={field.key: text for field, text in values},
        )
