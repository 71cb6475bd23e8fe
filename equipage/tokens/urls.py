from django.urls import path

from equipage.tokens import views

urlpatterns = [
    path("o/<slug:slug>/tokens/", views.tokens, name="tokens"),
    path("o/<slug:slug>/tokens/<int:token_id>/revoke", views.revoke, name="token_revoke"),
]
