"""Forms check shape only; rules live in actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from equipage.accounts.models import CustomField, CustomFieldKind
from equipage.accounts.sendmodes import SendMode
from equipage.organizations.models import (
    BIN_DAYS_MAX,
    BIN_DAYS_MIN,
    RETENTION_DAYS_MAX,
    RETENTION_DAYS_MIN,
)
from equipage.organizations.policy import FirstPasswordPolicy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _set_choices(form: forms.Form, name: str, choices: Sequence[tuple[Any, StrOrPromise]]) -> None:
    """Set the choices of a choice field known only at request time."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = list(choices)


class GroupPicker(forms.CheckboxSelectMultiple):
    """The group tree as checkboxes indented by depth, with a filter box page.js reveals.

    Without JavaScript it is a plain checkbox list (no Ctrl-click select). ``depths``
    maps a group id to its depth in the tree (0 for a root).
    """

    template_name = "web/widgets/group_picker.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.depths: dict[int, int] = {}

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        option["depth"] = min(self.depths.get(option["value"], 0), 6)
        return option


def roles_field() -> forms.MultipleChoiceField:
    """Return a « Rôles » field as checkboxes; its choices (the grantable roles) come later."""
    return forms.MultipleChoiceField(
        label=_("Roles"), choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )


def group_tree_field() -> forms.TypedMultipleChoiceField:
    """Return a « Groupes » field drawn as the tree; ``set_group_tree`` gives its groups."""
    return forms.TypedMultipleChoiceField(
        label=_("Groups"), choices=(), coerce=int, required=False, widget=GroupPicker
    )


def set_group_tree(form: forms.Form, name: str, rows: Sequence[tuple[int, str, int]]) -> None:
    """Give a group field its tree: ``rows`` are (id, name, depth) in tree order.

    With no group to offer, the field leaves the form (nothing to pick, nothing to say).
    """
    if not rows:
        del form.fields[name]
        return
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField) and isinstance(field.widget, GroupPicker)
    field.choices = [(pk, label) for pk, label, _depth in rows]
    field.widget.depths = {pk: depth for pk, _label, depth in rows}


# « Ajouter un membre » and « Inviter » also set the auto-deletion date and the custom
# fields (seed 002); the actions check them with the profile's own rules.
DELETION_HELP = _("On this date the account is deleted; the audit trail keeps a pseudonym.")


def add_creation_extras(
    form: forms.Form, fields: Sequence[CustomField], before: str | None = None
) -> None:
    """Add the organization's custom fields (``cf_<id>``) and the deletion date to ``form``.

    They go before the field named ``before`` (at the end without one).

    ``form.error_fields`` maps a custom field's key, which the action names in its
    errors, to the form field, so the error shows beside it.
    """
    error_fields: dict[str, str] = {}
    for field in fields:
        name = f"cf_{field.pk}"
        if field.kind == CustomFieldKind.CHOICE:
            form.fields[name] = forms.ChoiceField(
                label=field.name,
                required=False,
                choices=[("", "—"), *((c, c) for c in field.choices)],
            )
        else:
            attrs = {"date": {"type": "date"}, "number": {"inputmode": "decimal"}}.get(field.kind)
            form.fields[name] = forms.CharField(
                label=field.name, required=False, max_length=500, widget=forms.TextInput(attrs)
            )
        error_fields[field.key] = name
    form.fields["auto_delete_on"] = forms.DateField(
        label=_("Automatic deletion date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=DELETION_HELP,
    )
    form.error_fields = error_fields  # type: ignore[attr-defined]
    if before is not None:
        names = list(form.fields)
        added = [*error_fields.values(), "auto_delete_on"]
        rest = [n for n in names if n not in added]
        at = rest.index(before)
        form.order_fields([*rest[:at], *added, *rest[at:]])


def creation_extras(data: dict[str, Any]) -> dict[str, Any]:
    """Return the action's ``custom_values`` (field id → value) and ``deletion_date``."""
    values = {
        int(name[3:]): value for name, value in data.items() if name.startswith("cf_") and value
    }
    return {"custom_values": values, "deletion_date": data.get("auto_delete_on")}


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Login or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def new_password_field(label: StrOrPromise) -> forms.CharField:
    """Return a field for a new password (kept as typed, offered to password managers)."""
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def check_passwords_match(form: forms.Form, data: dict[str, Any], first: str, second: str) -> None:
    """Flag ``second`` when the two typed passwords differ."""
    if data.get(first) and data.get(first) != data.get(second):
        form.add_error(second, _("The two passwords differ."))


class NamesForm(forms.Form):
    """First and last name, as a member gives them at first login or on the set-password page."""

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


class NewPasswordForm(forms.Form):
    new_password1 = new_password_field(_("New password"))
    new_password2 = new_password_field(_("Confirm the new password"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_passwords_match(self, data, "new_password1", "new_password2")
        return data


class SetPasswordForm(NewPasswordForm, NamesForm):
    """The set-password page; an account without a name gives it here, as at first login."""

    field_order = ["first_name", "last_name", "new_password1", "new_password2"]

    def __init__(self, *args: Any, ask_names: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ask_names:
            del self.fields["first_name"], self.fields["last_name"]


class ChangePasswordForm(NewPasswordForm):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password1", "new_password2"]


class ResetRequestForm(forms.Form):
    identifier = forms.CharField(label=_("Login or e-mail"), max_length=254)


class MemberCreateForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    login = forms.CharField(
        label=_("Login"),
        max_length=150,
        required=False,
        help_text=_("Empty: firstname.lastname, without accents."),
    )
    # Several roles and several groups (seed 002), as checkboxes: nothing hidden behind Ctrl-click.
    roles = roles_field()
    groups = group_tree_field()
    language = forms.ChoiceField(
        label=_("Language"),
        choices=(("", _("The organization's language")), ("fr", "Français"), ("en", "English")),
        required=False,
    )
    send = forms.ChoiceField(
        label=_("Password"),
        choices=(
            ("policy", _("As the organization's first-password policy says")),
            (SendMode.CREDENTIALS, _("Generate a password and send it by e-mail")),
            (SendMode.LINK, _("Send a single-use link to choose a password")),
            (
                SendMode.NOTIFICATION,
                _(
                    "Send a notification e-mail only (no password in it; set one below or let the policy decide)"
                ),
            ),
            ("password", _("I set the password now (no e-mail sent)")),
        ),
        initial="policy",
    )
    password = forms.CharField(
        label=_("Password to set"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "When you set the password now, or with the notification e-mail; the member"
            " changes it at first login. Required for a member without an e-mail address."
        ),
    )

    def __init__(
        self,
        *args: Any,
        roles: Sequence[tuple[str, StrOrPromise]],
        groups: Sequence[tuple[int, str, int]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "roles", roles)
        set_group_tree(self, "groups", groups)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        send = data.get("send")
        if send == "password" and not data.get("password"):
            self.add_error("password", _("Type the password to set."))
        elif not data.get("email") and send != "password" and "email" not in self.errors:
            # No address to mail: only a password set now lets this member log in.
            self.add_error(
                "send",
                _(
                    "A member without an e-mail address needs a password set now: choose “I set the password now”."
                ),
            )
        return data


class MemberEditForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    login = forms.CharField(label=_("Login"), max_length=150)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=(("", _("The organization's language")), ("fr", "Français"), ("en", "English")),
        required=False,
    )
    contact_roles = forms.CharField(
        label=_("Contact roles"),
        required=False,
        help_text=_("Comma-separated, e.g. invoice contact, security contact."),
    )
    auto_delete_on = forms.DateField(
        label=_("Automatic deletion date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=DELETION_HELP,
    )


class SelfContactForm(forms.Form):
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)


class SelfLanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=(("", _("The organization's language")), ("fr", "Français"), ("en", "English")),
        required=False,
    )


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    parent = forms.TypedChoiceField(label=_("Parent group"), choices=(), coerce=int, required=False)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=(("public", _("Public")), ("private", _("Private"))),
        help_text=_(
            "A member added to a public group also joins its ancestors, up to the first private one."
        ),
    )

    def __init__(self, *args: Any, groups: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "parent", [("", _("— none (top level) —")), *groups])


class LabelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    color = forms.CharField(
        label=_("Colour"),
        max_length=7,
        initial="#4b6bfb",
        widget=forms.TextInput(attrs={"type": "color"}),
    )


class CustomFieldForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=(
            ("text", _("Text")),
            ("number", _("Number")),
            ("date", _("Date")),
            ("choice", _("Choice")),
        ),
    )
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        help_text=_("For a choice field: one choice per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SettingsForm(forms.Form):
    name = forms.CharField(label=_("Organization name"), max_length=200)
    language = forms.ChoiceField(
        label=_("Language"), choices=(("fr", "Français"), ("en", "English"))
    )
    invitation_lifetime_days = forms.IntegerField(
        label=_("Invitation lifetime (days)"), min_value=1, max_value=90
    )
    members_can_edit_contact = forms.BooleanField(
        label=_("Members may edit their own contact details"), required=False
    )
    deactivation_notice = forms.BooleanField(
        label=_("Send a notice by e-mail to deactivated members"), required=False
    )


class ScimPasswordsForm(forms.Form):
    """Whether passwords sent by the identity provider over SCIM become login passwords."""

    accept = forms.BooleanField(
        label=_("Accept passwords sent by the identity provider (SCIM)"),
        required=False,
        help_text=_(
            "Off by default: Okta sends a placeholder password when it creates an account. "
            "Ignored, the account gets its first password as set above, like any account "
            "created without one. Turn on only if your identity provider syncs real passwords."
        ),
    )


class SessionSettingsForm(forms.Form):
    """The idle session timeout: a console left alone this long asks for the password again."""

    CHOICES = (30, 60, 120, 240, 480, 720)

    session_idle_minutes = forms.TypedChoiceField(
        label=_("End a session after this long without activity"),
        coerce=int,
        help_text=_(
            "Whatever this setting, a session lasts at most 12 hours. A shorter delay protects "
            "a console left open on a shared computer."
        ),
    )

    def __init__(self, *args: Any, current: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        minutes = sorted({*self.CHOICES, current})
        _set_choices(self, "session_idle_minutes", [(m, _duration(m)) for m in minutes])
        self.initial.setdefault("session_idle_minutes", current)


def _duration(minutes: int) -> str:
    if minutes % 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


class FirstPasswordForm(forms.Form):
    """The first-password policy and, for ``shared``, the organization's own temporary password."""

    first_password_policy = forms.ChoiceField(
        label=_("First password of accounts created without one"),
        choices=FirstPasswordPolicy.choices,
        widget=forms.RadioSelect,
    )
    temporary_password = forms.CharField(
        label=_("Temporary password (shared policy only)"),
        required=False,
        strip=False,
        max_length=128,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
        help_text=_(
            "A random one is proposed: note it now, it is stored hashed and never shown again. "
            "Common or published passwords (such as “tempeos” from public help pages) are "
            "refused. Leave empty to keep the current one."
        ),
    )


class DeleteOrganizationForm(forms.Form):
    """Ask the owner to type the organization's identifier before it is deleted for good."""

    confirm = forms.CharField(
        label=_("Type the organization's identifier to confirm"),
        max_length=63,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class TransferForm(forms.Form):
    to_member = forms.TypedChoiceField(label=_("New owner"), choices=(), coerce=int)

    def __init__(self, *args: Any, admins: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "to_member", admins)


class RetentionForm(forms.Form):
    """Deletion, the bin and erasure: how long deleted members stay restorable, and how long
    each kind of history is kept before housekeeping forgets it."""

    bin_days = forms.IntegerField(
        label=_("Keep deleted members in the bin for (days)"),
        min_value=BIN_DAYS_MIN,
        max_value=BIN_DAYS_MAX,
        help_text=_("After this, their personal data is erased for good."),
    )
    audit_retention_days = forms.IntegerField(
        label=_("Keep the audit trail for (days)"),
        min_value=RETENTION_DAYS_MIN,
        max_value=RETENTION_DAYS_MAX,
    )
    mail_retention_days = forms.IntegerField(
        label=_("Keep sent e-mails for (days)"),
        min_value=RETENTION_DAYS_MIN,
        max_value=RETENTION_DAYS_MAX,
    )
    webhook_log_retention_days = forms.IntegerField(
        label=_("Keep webhook delivery logs for (days)"),
        min_value=RETENTION_DAYS_MIN,
        max_value=RETENTION_DAYS_MAX,
    )
    import_retention_days = forms.IntegerField(
        label=_("Keep the history of imports for (days)"),
        min_value=RETENTION_DAYS_MIN,
        max_value=RETENTION_DAYS_MAX,
    )
