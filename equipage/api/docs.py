"""The API's Swagger page under a Content-Security-Policy of its own.

django-ninja renders Swagger UI from the jsDelivr CDN with one inline script
that starts it. The console's policy allows neither, so this page alone names
the CDN and the SHA-256 of its inline scripts (never ``'unsafe-inline'``): the
hashes are computed from the page as rendered, so they follow ninja's template.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.csp import CSP
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI

CDN = "https://cdn.jsdelivr.net"
# Inline scripts that run: no src, and not a data block (type="application/json").
_INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>(.*?)</script>", re.S
)


def inline_script_hashes(html: str) -> list[str]:
    """Return the CSP source expression (``'sha256-…'``) of each inline script of ``html``."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


class SwaggerUnderCsp(Swagger):
    """Swagger UI whose response carries a policy allowing exactly its CDN and scripts."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        response = super().render_page(request, api, **kwargs)
        hashes = inline_script_hashes(response.content.decode())
        response._csp_config = {  # type: ignore[attr-defined]  # read by Django's CSP middleware
            **settings.SECURE_CSP,
            "script-src": [CSP.SELF, CDN, *hashes],
            "style-src": [CSP.SELF, CDN],
            "img-src": [CSP.SELF, "data:", "https://django-ninja.dev"],
        }
        return response
