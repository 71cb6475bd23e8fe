from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("equipage.scim.urls")),
    path("", include("equipage.api.urls")),
    path("", include("equipage.web.urls")),
    path("", include("equipage.imports.urls")),
    path("", include("equipage.emails.urls")),
    path("", include("equipage.invitations.urls")),
    path("", include("equipage.webhooks.urls")),
    path("", include("equipage.tokens.urls")),
    path("", include("equipage.sso.urls")),  # single sign-on (OpenID Connect, issue #18.6)
    path("", include("equipage.twofactor.urls")),
]

# The console's 403, 404 and 500 pages (the API and SCIM keep their JSON errors).
handler403 = "equipage.web.views.errors.permission_denied"
handler404 = "equipage.web.views.errors.page_not_found"
handler500 = "equipage.web.views.errors.server_error"
