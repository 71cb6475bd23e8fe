"""The organization's password policy: a minimum length and no common password (ASVS 6.2).

Every way a password is set (a set-password or reset link, a change, an invitation's
acceptance, an admin-set temporary password, the import's ``Mot de passe`` column,
SCIM when passwords are accepted, the API, the shared temporary password) checks it
here. No composition rules and no forced rotation (ASVS 6.2.5, 6.2.10; NIST 800-63B):
length and not being on a breach list are what protect. The common passwords are
Django's list of 20,000 taken from breaches, shipped with Django: no network call.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    MinimumLengthValidator,
    get_default_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from equipage.core.errors import ValidationFailed
from equipage.organizations.models import (
    PASSWORD_MIN_LENGTH_CEILING,
    PASSWORD_MIN_LENGTH_DEFAULT,
    PASSWORD_MIN_LENGTH_FLOOR,
    Organization,
)

# The refusals the import words with its own stored codes (``imports.problems``).
TOO_SHORT = "password_too_short"
TOO_COMMON = "password_too_common"
NUMERIC = "password_entirely_numeric"


def min_length_of(organization: Organization | None) -> int:
    """Return the organization's minimum length, never below the floor of 8."""
    wanted = organization.password_min_length if organization else PASSWORD_MIN_LENGTH_DEFAULT
    return max(int(wanted or PASSWORD_MIN_LENGTH_DEFAULT), PASSWORD_MIN_LENGTH_FLOOR)


def validators_for(organization: Organization | None) -> list[Any]:
    """Return the configured validators, the minimum length being the organization's."""
    minimum = MinimumLengthValidator(min_length=min_length_of(organization))
    found = [
        minimum if isinstance(v, MinimumLengthValidator) else v
        for v in get_default_password_validators()
    ]
    if minimum not in found:
        found.insert(0, minimum)
    if not any(isinstance(v, CommonPasswordValidator) for v in found):
        found.append(CommonPasswordValidator())
    return found


def validate_member_password(
    password: str,
    organization: Organization | None,
    user: Any = None,
    *,
    validators: list[Any] | None = None,
) -> None:
    """Raise ``ValidationFailed`` naming every rule ``password`` breaks (too short, too common…).

    ``user`` (a member, or what stands for one) lets the similarity validator
    compare the password with their login, names and e-mail.
    """
    try:
        validate_password(
            password, user, password_validators=validators or validators_for(organization)
        )
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password") from None


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(CommonPasswordValidator().passwords)


def password_refusal(password: str, min_length: int) -> tuple[str, dict[str, int]] | None:
    """Return the first rule ``password`` breaks as ``(code, params)``, or None (pure).

    The same rules as ``validate_member_password`` without the similarity one,
    for a file's thousands of lines: the import words them in the reader's language.
    """
    if len(password) < min_length:
        return TOO_SHORT, {"n": min_length}
    if password.lower().strip() in _common_passwords():
        return TOO_COMMON, {}
    if password.isdigit():
        return NUMERIC, {}
    return None


def check_min_length(value: Any) -> int:
    """Return ``value`` as a minimum length, or raise ``ValidationFailed`` naming the bounds."""
    try:
        minimum = int(value)
    except (TypeError, ValueError):
        minimum = 0
    if not PASSWORD_MIN_LENGTH_FLOOR <= minimum <= PASSWORD_MIN_LENGTH_CEILING:
        raise ValidationFailed(
            _("The minimum password length must be from %(lo)d to %(hi)d.")
            % {"lo": PASSWORD_MIN_LENGTH_FLOOR, "hi": PASSWORD_MIN_LENGTH_CEILING},
            field="password_min_length",
        )
    return minimum


def policy_summary(organization: Organization | None) -> str:
    """Say the policy in the active language, as the password forms show it."""
    n = min_length_of(organization)
    return ngettext(
        "At least %(n)d character; common passwords (found in breaches) are refused. "
        "A long sentence is easy to remember and hard to guess.",
        "At least %(n)d characters; common passwords (found in breaches) are refused. "
        "A long sentence is easy to remember and hard to guess.",
        n,
    ) % {"n": n}
