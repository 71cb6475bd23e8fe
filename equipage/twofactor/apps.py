from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "equipage.twofactor"
    label = "twofactor"
    default_auto_field = "django.db.models.BigAutoField"
