from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "equipage.emails"
    label = "emails"

    def ready(self) -> None:
        """Register this app's periodic housekeeping jobs (see core/housekeeping.py)."""
        import equipage.emails.erasure
        import equipage.emails.housekeeping
        import equipage.emails.personal_data  # noqa: F401  (its part of a member's data)
