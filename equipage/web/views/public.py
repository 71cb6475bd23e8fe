"""Pages outside any organization."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def index(request: HttpRequest) -> HttpResponse:
    slug = (request.GET.get("organization") or "").strip().lower()
    if slug:
        return redirect(f"/o/{slug}/login")
    return render(request, "web/index.html")
