"""Forms of the invitation pages: they check shape only; rules live in actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from equipage.web.forms import group_tree_field, roles_field, set_group_tree


class InviteForm(forms.Form):
    emails = forms.CharField(
        label=_("E-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Several addresses: separate them with commas, semicolons, spaces or new lines."
        ),
    )
    roles = roles_field()
    groups = group_tree_field()
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=(("", _("The organization's language")), ("fr", "Français"), ("en", "English")),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        roles: list[tuple[str, Any]],
        groups: list[tuple[int, str, int]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = roles  # type: ignore[attr-defined]
        set_group_tree(self, "groups", groups)


class AcceptForm(forms.Form):
    """The first-login form (seed 002): first name, last name, password."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Confirm the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data
