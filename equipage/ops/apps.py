from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "equipage.ops"
    label = "ops"

    def ready(self) -> None:
        """Register this app's periodic housekeeping jobs (see core/housekeeping.py)."""
        import equipage.ops.heartbeats  # noqa: F401  (registers its periodic jobs)
