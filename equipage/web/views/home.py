"""The member's home: their profile and the administrators' contact card (seed 004)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from equipage.accounts.selectors import administrators, roles_of
from equipage.web.tenancy import member_required


@member_required
def home(request: HttpRequest, slug: str) -> HttpResponse:
    org = request.organization  # type: ignore[attr-defined]
    return render(
        request,
        "web/home.html",
        {"admins": administrators(org), "roles": roles_of(request.user)},  # type: ignore[arg-type]
    )
