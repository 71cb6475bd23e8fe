from django.urls import path

from equipage.sso import views

urlpatterns = [
    path("o/<slug:slug>/sso/login", views.start, name="sso_start"),
    path("o/<slug:slug>/sso/callback", views.callback, name="sso_callback"),
    path("o/<slug:slug>/settings/sso/", views.settings_page, name="sso_settings"),
]
