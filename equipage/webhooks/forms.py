"""Webhook endpoint form: shape only; rules live in actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from equipage.webhooks.models import WebhookEvent


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500, help_text=_("http:// or https://"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(WebhookEvent.values),
        help_text=_(
            "Groups, labels and roles changes are sent in batches: one event per member, "
            "up to 500 in one delivery (data.events)."
        ),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
