"""Forms of two-factor authentication: a code, and the organization's requirement."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from equipage.organizations.models import TwoFactorRequirement as Requirement


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class PolicyForm(forms.Form):
    requirement = forms.ChoiceField(
        label=_("Two-factor authentication"), choices=Requirement.choices
    )
    grace_days = forms.IntegerField(
        label=_("Grace period (days)"),
        min_value=0,
        max_value=365,
        help_text=_(
            "Members concerned log in as before during this time, then must set up"
            " their second factor before going anywhere else."
        ),
    )
