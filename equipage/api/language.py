"""The language of the API's answers: the reader's ``Accept-Language``, else the organization's."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from equipage.organizations.models import Organization


def reader_language(request: HttpRequest, organization: Organization) -> str:
    """Return the first language of ``Accept-Language`` that Equipage speaks, else the org's.

    Django's locale middleware falls back to the site's default (French) when the
    header is absent; an API client of an English-speaking organization reads English.
    """
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return organization.language or settings.LANGUAGE_CODE


def speak_to_reader(request: HttpRequest, organization: Organization) -> None:
    """Activate the reader's language for the rest of the request (errors included)."""
    language = reader_language(request, organization)
    translation.activate(language)
    request.LANGUAGE_CODE = language
