from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "equipage.audit"
    label = "audit"

    def ready(self) -> None:
        """Register this app's part of a member's own data, its erasure and retention."""
        import equipage.audit.erasure
        import equipage.audit.personal_data
        import equipage.audit.retention  # noqa: F401  (registers its periodic job)
