from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "equipage.twofactor"
    label = "twofactor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register this app's part of a member's own data (see core/personal_data.py)."""
        import equipage.twofactor.personal_data  # noqa: F401  (its part of a member's data)
