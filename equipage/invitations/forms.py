"""Forms of the invitation pages: they check shape only; rules live in actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from equipage.web.forms import (
    NamesForm,
    check_passwords_match,
    group_tree_field,
    new_password_field,
    roles_field,
    set_group_tree,
)


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


class AcceptForm(NamesForm):
    """The first-login form (seed 002): first name, last name, password."""

    password1 = new_password_field(_("Password"))
    password2 = new_password_field(_("Confirm the password"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_passwords_match(self, data, "password1", "password2")
        return data
