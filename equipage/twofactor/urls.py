from django.urls import path

from equipage.twofactor import views

urlpatterns = [
    path("o/<slug:slug>/login/code", views.login_code, name="twofactor_login_code"),
    path("o/<slug:slug>/me/two-factor/", views.setup, name="twofactor_setup"),
    path(
        "o/<slug:slug>/members/<int:member_id>/two-factor/reset",
        views.reset,
        name="twofactor_reset",
    ),
    path("o/<slug:slug>/settings/two-factor", views.policy, name="twofactor_policy"),
]
