"""The single sign-on pages: its settings, the way out to the provider and the way back."""

from __future__ import annotations

from django.contrib import auth, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from equipage.accounts.models import Member
from equipage.core.errors import DomainError
from equipage.organizations.models import Organization
from equipage.permissions import Cap
from equipage.permissions.actor import origin_of
from equipage.sso import flow
from equipage.sso.actions import (
    SsoRefused,
    sso_configure,
    sso_login,
    sso_refusal_record,
    sso_remove,
)
from equipage.sso.forms import ProviderForm
from equipage.sso.models import OidcProvider
from equipage.sso.policy import password_allowed
from equipage.sso.secrets import decrypt_secret
from equipage.sso.selectors import enabled_provider, provider_of, redirect_uri
from equipage.sso.session import mark_sso_session
from equipage.twofactor.login import vouch_external
from equipage.web.tenancy import organization_or_404
from equipage.web.views.common import actor, attach_error, requires


def _safe_next(org: Organization, request: HttpRequest) -> str:
    wanted = request.GET.get("next", "")
    home = f"/o/{org.slug}/"
    return wanted if wanted.startswith(home) and "//" not in wanted[1:] else home


@require_http_methods(["GET"])
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the browser to the provider, with a fresh state, nonce and PKCE challenge."""
    org = organization_or_404(slug)
    provider = enabled_provider(org)
    if provider is None:
        raise Http404("sso")
    secret = decrypt_secret(provider.client_secret_encrypted)
    if secret is None:
        return _refused_page(request, org, "secret_unreadable", None)
    url = flow.begin(request.session, provider, secret, redirect_uri(org), _safe_next(org, request))
    return redirect(url)


@require_http_methods(["GET"])
def callback(request: HttpRequest, slug: str) -> HttpResponse:
    """Check the provider's answer, find the member and log them in; or say why not."""
    org = organization_or_404(slug)
    provider = enabled_provider(org)
    if provider is None:
        raise Http404("sso")
    secret = decrypt_secret(provider.client_secret_encrypted) or ""
    try:
        identity = flow.finish(
            request.session, provider, secret, redirect_uri(org), request.GET.dict()
        )
        member = sso_login(provider=provider, identity=identity, origin=origin_of(request))
    except flow.Refused as exc:
        return _refused_page(request, org, exc.reason, None)
    except SsoRefused as exc:
        subject = identity.email or identity.subject
        return _refused_page(request, org, exc.reason, str(exc), subject)
    auth.login(request, member, backend="equipage.accounts.backends.MemberBackend")
    mark_sso_session(request.session, provider.issuer)
    # The provider judges its own factors: the organization's two-factor requirement does
    # not send this session to Equipage's set-up page.
    vouch_external(request, "oidc")
    return redirect(identity.next_url or f"/o/{org.slug}/")


def login_refused_after_password(request: HttpRequest, member: Member) -> HttpResponse | None:
    """Send a member whose password opens nothing (SSO required) to the login page, or None.

    For the edges that log in right after a password is chosen (an accepted invitation).
    """
    if password_allowed(member):
        return None
    messages.success(request, _("Your account is active: sign in with your identity provider."))
    return redirect(f"/o/{member.organization.slug}/login")  # type: ignore[union-attr]


def _refused_page(
    request: HttpRequest, org: Organization, reason: str, message: str | None, subject: str = ""
) -> HttpResponse:
    # A callback without a state this browser started is anyone's to send: logged, not audited.
    if reason != "state_unknown":
        sso_refusal_record(
            organization=org, reason=reason, origin=origin_of(request), subject=subject
        )
    return render(
        request,
        "sso/refused.html",
        {
            "organization": org,
            "message": message
            or _("The sign-in with your identity provider could not be completed. Try again."),
        },
        status=403,
    )


@require_http_methods(["GET", "POST"])
@requires(Cap.ORG_SETTINGS)
def settings_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show and save the organization's OpenID provider (op=save) or remove it (op=remove)."""
    org = request.organization  # type: ignore[attr-defined]
    provider = provider_of(org)
    op = request.POST.get("op", "")
    if request.method == "POST" and op == "remove":
        sso_remove(actor=actor(request), organization=org)
        messages.success(request, _("Single sign-on removed."))
        return redirect(f"/o/{slug}/settings/sso/")
    form = ProviderForm(
        request.POST if request.method == "POST" else None, initial=_initial(provider)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sso_configure(actor=actor(request), organization=org, **form.cleaned_data)
            except DomainError as exc:
                attach_error(form, exc)
            else:
                messages.success(request, _("Single sign-on saved."))
                return redirect(f"/o/{slug}/settings/sso/")
        status = 400
    return render(
        request,
        "sso/settings.html",
        {
            "nav": "settings",
            "form": form,
            "provider": provider,
            "secret_unreadable": provider is not None
            and decrypt_secret(provider.client_secret_encrypted) is None,
            "redirect_uri": redirect_uri(org),
        },
        status=status,
    )


def _initial(provider: OidcProvider | None) -> dict[str, object]:
    if provider is None:
        return {"enabled": True}
    return {
        k: getattr(provider, k)
        for k in (
            "display_name",
            "issuer",
            "client_id",
            "enabled",
            "match_external_id",
            "jit_create",
            "require_sso",
        )
    }
