from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "equipage.audit"
    label = "audit"

    def ready(self) -> None:
        import equipage.audit.erasure
        import equipage.audit.retention  # noqa: F401  (registers its periodic job)
