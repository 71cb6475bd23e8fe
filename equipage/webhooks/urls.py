from django.urls import path

from equipage.webhooks import views

urlpatterns = [
    path("o/<slug:slug>/webhooks/", views.webhooks, name="webhooks"),
    path("o/<slug:slug>/webhooks/<int:endpoint_id>/", views.detail, name="webhook_detail"),
    path("o/<slug:slug>/webhooks/<int:endpoint_id>/rotate", views.rotate, name="webhook_rotate"),
    path("o/<slug:slug>/webhooks/<int:endpoint_id>/delete", views.delete, name="webhook_delete"),
]
