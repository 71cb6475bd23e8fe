"""The API tokens page: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from equipage.core.errors import DomainError, NotFound
from equipage.permissions import Actor, Cap, can
from equipage.tokens.actions import token_create, token_revoke
from equipage.tokens.forms import TokenForm
from equipage.tokens.models import ApiToken, Scope
from equipage.tokens.selectors import access_token_by_id, tokens_of
from equipage.web.tenancy import member_required


def _may_manage(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view to members holding ``Cap.TOKEN_MANAGE``; others get 403."""

    @member_required
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can(request.actor, Cap.TOKEN_MANAGE, request.organization):  # type: ignore[attr-defined]
            raise HttpForbidden("tokens")
        return view(request, slug, *args, **kwargs)

    return wrapper


def _token(request: HttpRequest, token_id: int) -> ApiToken:
    try:
        return access_token_by_id(request.actor, token_id)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404("token") from None


def _list(request: HttpRequest, form: TokenForm) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    rows = [{"token": t, "scopes": scope_labels(t)} for t in tokens_of(actor)]
    return render(request, "tokens/list.html", {"nav": "tokens", "rows": rows, "form": form})


def scope_labels(token: ApiToken) -> list[str]:
    """Return the human names of a token's scopes, in the language of the page."""
    names = dict(Scope.choices)
    return [str(names.get(s, s)) for s in token.scopes]


@never_cache
@require_http_methods(["GET", "POST"])
@_may_manage
def tokens(request: HttpRequest, slug: str) -> HttpResponse:
    """List the organization's tokens and create one.

    A created token's secret is rendered in the POST response itself, never
    stored nor redirected to, so reloading or going back cannot show it again.
    """
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = token_create(
                actor=request.actor,  # type: ignore[attr-defined]
                organization=request.organization,  # type: ignore[attr-defined]
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            return render(
                request,
                "tokens/created.html",
                {
                    "nav": "tokens",
                    "token": created.token,
                    "raw": created.raw,
                    "scopes": scope_labels(created.token),
                },
            )
    return _list(request, form)


@never_cache
@require_http_methods(["GET", "POST"])
@_may_manage
def revoke(request: HttpRequest, slug: str, token_id: int) -> HttpResponse:
    """Ask for confirmation, then revoke: the token answers 401 from then on."""
    token = _token(request, token_id)
    if request.method == "POST":
        try:
            token_revoke(actor=request.actor, token=token)  # type: ignore[attr-defined]
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
        return redirect(f"/o/{slug}/tokens/")
    return render(
        request,
        "tokens/revoke.html",
        {"nav": "tokens", "token": token, "scopes": scope_labels(token)},
    )
