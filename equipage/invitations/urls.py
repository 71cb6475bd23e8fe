from django.urls import path

from equipage.invitations import views

urlpatterns = [
    path("o/<slug:slug>/invitations/", views.invitations, name="invitations"),
    path("o/<slug:slug>/invitations/new", views.invite, name="invite"),
    path(
        "o/<slug:slug>/invitations/<int:invitation_id>/cancel",
        views.cancel,
        name="invitation_cancel",
    ),
    path(
        "o/<slug:slug>/invitations/<int:invitation_id>/resend",
        views.resend,
        name="invitation_resend",
    ),
    path("o/<slug:slug>/join/<str:token>/", views.accept, name="invitation_accept"),
]
