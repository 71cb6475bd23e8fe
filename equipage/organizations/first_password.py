"""The first-password policy: what it tells importers, and the shared policy's password.

Seed 000's help pages publish one temporary password for every organization
(``tempeos``): an account created with it opens for whoever guesses its login.
Under the ``shared`` policy each organization chooses its own, and the same
validators as for members' passwords refuse common and published ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.password_validation import (
    UserAttributeSimilarityValidator,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from equipage.core.errors import ValidationFailed
from equipage.organizations.models import (
    SHARED_PASSWORD_VALIDITY_DAYS,
    FirstPasswordPolicy,
    Organization,
)
from equipage.organizations.password_policy import min_length_of, validators_for

# Passwords printed in the seeds' public help pages: known to anyone who read them.
PUBLISHED_PASSWORDS = frozenset({"tempeos"})

# No 0/o, 1/l/i: read aloud or copied from a printed sheet without mistakes.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def propose_temporary_password(organization: Organization | None = None) -> str:
    """Return a random password to propose, e.g. ``k7pm-x3qa-9wfr`` (about 59 bits).

    Groups of four are added while it is shorter than the organization's minimum length.
    """
    groups = max(3, -(-(min_length_of(organization) + 1) // 5)) if organization else 3
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(groups))


class _OrganizationFields:
    """Name the organization's attributes in the similarity validator's message."""

    def get_field(self, name: str) -> SimpleNamespace:
        labels = {"slug": _("organization's identifier"), "name": _("organization's name")}
        return SimpleNamespace(verbose_name=labels[name])


@dataclass
class _OrganizationAttributes:
    """What the similarity validator compares a temporary password with."""

    slug: str
    name: str
    _meta: _OrganizationFields = field(default_factory=_OrganizationFields)


def _validators(organization: Organization) -> list[Any]:
    """Return the organization's password validators, the similarity one comparing with it."""
    return [
        UserAttributeSimilarityValidator(user_attributes=("slug", "name"))
        if isinstance(v, UserAttributeSimilarityValidator)
        else v
        for v in validators_for(organization)
    ]


def validate_temporary_password(password: str, organization: Organization) -> None:
    """Raise ``ValidationFailed`` unless ``password`` may be the organization's temporary one.

    Refused: the seeds' published passwords, and whatever the password
    validators refuse (too short, too common, numeric, close to the
    organization's slug or name).
    """
    if not password:
        raise ValidationFailed(
            _("Choose the temporary password (the shared policy needs one)."),
            field="temporary_password",
        )
    if password.strip().lower() in PUBLISHED_PASSWORDS:
        raise ValidationFailed(
            _(
                "This temporary password is published in public help pages: anyone could use it."
                " Choose another one."
            ),
            field="temporary_password",
        )
    try:
        validate_password(
            password,
            _OrganizationAttributes(organization.slug, organization.name),  # type: ignore[arg-type]
            password_validators=_validators(organization),
        )
    except ValidationError as exc:
        raise ValidationFailed(
            _("This temporary password is refused: %(why)s") % {"why": " ".join(exc.messages)},
            field="temporary_password",
        ) from None


def first_password_notice(organization: Organization) -> str:
    """Say, in the active language, how new accounts without a password get their first one."""
    if organization.first_password_policy == FirstPasswordPolicy.SHARED:
        return _(
            "New accounts without a password log in the first time with the organization's "
            "temporary password, within %(days)d days of their creation, and must change it "
            "at once (“shared” policy)."
        ) % {"days": SHARED_PASSWORD_VALIDITY_DAYS}
    return _(
        "New accounts without a password each get a single-use link by e-mail to choose "
        "their password (“link” policy); an account without an e-mail address gets none: "
        "give it a password in the file."
    )
