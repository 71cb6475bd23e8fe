from django.urls import re_path

from equipage.scim import views

urlpatterns = [
    re_path(r"^scim/v2(?P<path>/.*)?$", views.scim, name="scim"),
]
