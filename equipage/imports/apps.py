from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "equipage.imports"
    label = "imports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register this app's periodic jobs and its guard on organization deletion."""
        import equipage.imports.erasure
        import equipage.imports.guards
        import equipage.imports.housekeeping  # noqa: F401  (registers its periodic jobs)
