from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "equipage.web"
    label = "web"
