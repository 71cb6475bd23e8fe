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
]
