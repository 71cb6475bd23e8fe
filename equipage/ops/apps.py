from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "equipage.ops"
    label = "ops"
