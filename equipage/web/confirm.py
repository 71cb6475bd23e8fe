"""One page that asks before a destructive click: it names the thing and says what will happen.

A destructive button posts its form once: without ``confirmed=yes`` the view answers with
this page (no JavaScript needed), whose button posts the same fields again with
``confirmed=yes``. Nothing is written until then.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "yes"


def is_confirmed(request: HttpRequest) -> bool:
    """True when the person has seen the confirmation page and pressed its button."""
    return request.POST.get("confirmed") == CONFIRMED


def confirm_page(
    request: HttpRequest,
    *,
    title: str,
    question: str,
    consequences: list[str],
    button: str,
    back: str,
    nav: str = "",
) -> HttpResponse:
    """Render the confirmation: the same form fields are posted again, with ``confirmed``."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirmed")
        for value in values
    ]
    return render(
        request,
        "web/confirm.html",
        {
            "title": title,
            "question": question,
            "consequences": consequences,
            "button": button,
            "back": back,
            "fields": fields,
            "action": request.get_full_path(),
            "confirmed": CONFIRMED,
            "nav": nav,
        },
    )
