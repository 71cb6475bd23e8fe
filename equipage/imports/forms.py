"""The upload form of the import page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from equipage.imports.models import ImportMode

MAX_UPLOAD = 200 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (CSV, XLSX or ODS)"),
        help_text=_(
            "The structure of the export: Identifiant, Nom, Prénom, Adresse e-mail, "
            "Mot de passe, État (then Groupes, Rôles, Étiquettes)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.ods"}),
    )
    # Safe default (issue 15.1): a sync deactivates whoever the file lacks; chosen, never preset.
    mode = forms.ChoiceField(label=_("Mode"), choices=ImportMode.choices, initial=ImportMode.UPSERT)

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("This file is too large (200 MB at most)."))
        return upload


class ConfirmForm(forms.Form):
    confirm_mass_deactivation = forms.BooleanField(
        label=_("I confirm the deactivation of more than half of the active members"),
        required=False,
    )
