"""The token form: shape only; the rules (name, scopes) live in token_create."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from equipage.tokens.models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses it, e.g. “Okta” or “HR sync script”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("SCIM for an identity provider (Okta, Entra ID); API for scripts."),
    )
