"""Only the machine edges (SCIM, API), so these tests do not depend on console pages."""

from django.urls import include, path

urlpatterns = [
    path("", include("equipage.scim.urls")),
    path("", include("equipage.api.urls")),
]
