from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "equipage.audit"
    label = "audit"

    def ready(self) -> None:
        """Register this app's part of a member's own data (see core/personal_data.py)."""
        import equipage.audit.personal_data  # noqa: F401  (its part of a member's data)
