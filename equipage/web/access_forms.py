"""The forms of the owner's « Sièges » page, the password policy section and the
admin-set temporary password (issue #18.1, 18.2, 18.7): shape only, the rules are the actions'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from equipage.organizations.models import PASSWORD_MIN_LENGTH_CEILING, PASSWORD_MIN_LENGTH_FLOOR


class PasswordPolicyForm(forms.Form):
    """The organization's minimum password length (common passwords are always refused)."""

    password_min_length = forms.IntegerField(
        label=_("Minimum password length (characters)"),
        min_value=PASSWORD_MIN_LENGTH_FLOOR,
        max_value=PASSWORD_MIN_LENGTH_CEILING,
        help_text=_(
            "At least 8; 12 is recommended. Common passwords found in breaches are always "
            "refused. No rule on digits or symbols and no forced renewal: a long password "
            "nobody guesses protects better (ASVS 6.2)."
        ),
    )


class SeatsForm(forms.Form):
    """The paid seats: a number, or unlimited."""

    unlimited = forms.BooleanField(label=_("Unlimited seats"), required=False)
    seats = forms.IntegerField(label=_("Paid seats"), min_value=1, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("unlimited") and data.get("seats") is None and not self.errors:
            self.add_error("seats", _("Give a number of seats, or choose unlimited seats."))
        return data

    def wanted(self) -> int | None:
        """Return the seat count asked for: None for unlimited."""
        return None if self.cleaned_data.get("unlimited") else self.cleaned_data["seats"]


class TemporaryPasswordForm(forms.Form):
    """A password an admin gives a member without e-mail; they change it at their first login."""

    password = forms.CharField(
        label=_("Temporary password"),
        strip=False,
        max_length=4096,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
