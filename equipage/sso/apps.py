from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "equipage.sso"
    label = "sso"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register this app's part of a member's own data (see core/personal_data.py) and
        what erasing a member cleans here (core/erasure.py)."""
        import equipage.sso.erasure
        import equipage.sso.personal_data  # noqa: F401  (its part of a member's data)
