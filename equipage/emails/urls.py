from django.urls import path

from equipage.emails.tracking import tracking_webhook

urlpatterns = [
    path("hooks/mail/<slug:esp>/tracking/", tracking_webhook, name="mail_tracking"),
]
