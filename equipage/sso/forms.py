"""The settings form of an organization's OpenID provider: shape only, rules in the actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ProviderForm(forms.Form):
    display_name = forms.CharField(
        label=_("Button label"),
        max_length=80,
        help_text=_("Shown on the login page as « Sign in with … », e.g. Okta."),
    )
    issuer = forms.URLField(
        label=_("Issuer URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "e.g. https://acme.okta.com, https://login.microsoftonline.com/{tenant}/v2.0, "
            "https://accounts.google.com"
        ),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        max_length=1000,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the current one."),
    )
    enabled = forms.BooleanField(label=_("Members may sign in with this provider"), required=False)
    match_external_id = forms.BooleanField(
        label=_("Match members by their SCIM externalId"),
        required=False,
        help_text=_(
            "A member whose externalId equals the provider's subject (or Entra ID's object id) "
            "is recognised even without a verified e-mail."
        ),
    )
    jit_create = forms.BooleanField(
        label=_("Create an account at first sign-in (just in time)"),
        required=False,
        help_text=_(
            "Off by default: anyone your provider lets in with a verified e-mail would get an "
            "account, and a seat."
        ),
    )
    require_sso = forms.BooleanField(
        label=_("Require single sign-on for members"),
        required=False,
        help_text=_(
            "Passwords then open only the owner's account (the break-glass access); everyone "
            "else signs in with the provider. Turning it on signs out every other member."
        ),
    )
