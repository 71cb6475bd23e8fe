"""When a password may still open an account: the « require single sign-on » setting.

With the requirement on, only the owner logs in with a password — the
break-glass account, so that a broken or lost identity provider can never
lock the organization out. Everyone else goes through the provider. Set-password
and reset links still let a member choose a password (kept for the day the
requirement is lifted), but that password opens nothing while it holds:
the login form refuses it and an accepted invitation does not log in.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from equipage.accounts.models import Member
from equipage.accounts.selectors import member_by_identifier, owner_id
from equipage.organizations.models import Organization
from equipage.sso.models import OidcProvider


def _requiring(organization: Organization) -> OidcProvider | None:
    return OidcProvider.objects.filter(
        organization=organization, enabled=True, require_sso=True
    ).first()


def password_allowed(member: Member) -> bool:
    """Tell whether ``member`` may log in with a password (always, but for required SSO)."""
    org = member.organization
    if org is None or _requiring(org) is None:
        return True
    return owner_id(org.pk) == member.pk


def password_refusal(organization: Organization, identifier: str) -> str | None:
    """Return why the password form refuses ``identifier`` before any password is checked.

    The same answer for an unknown identifier and a member's: only the owner's
    password is ever checked while single sign-on is required.
    """
    provider = _requiring(organization)
    if provider is None:
        return None
    member = member_by_identifier(organization, identifier)
    if member is not None and owner_id(organization.pk) == member.pk:
        return None
    return _("%(org)s signs in with %(provider)s: use the button below.") % {
        "org": organization.name,
        "provider": provider.display_name,
    }


def refuse_password_form(form: Any, organization: Organization) -> bool:
    """Add the « use single sign-on » error to a valid login form and say so (the login view)."""
    refusal = password_refusal(organization, form.cleaned_data["identifier"])
    if refusal is not None:
        form.add_error(None, refusal)
    return refusal is not None
