from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "equipage.groups"
    label = "groups"

    def ready(self) -> None:
        """Register this app's periodic housekeeping jobs (see core/housekeeping.py)."""
        import equipage.groups.housekeeping
        import equipage.groups.personal_data  # noqa: F401  (its part of a member's data)
