from django.apps import AppConfig


class InstanceConfig(AppConfig):
    name = "equipage.instance"
    label = "instance"
    default_auto_field = "django.db.models.BigAutoField"
