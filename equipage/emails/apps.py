from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "equipage.emails"
    label = "emails"
