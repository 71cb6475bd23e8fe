from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "equipage.organizations"
    label = "organizations"

    def ready(self) -> None:
        """Register this app's part of a member's own data (see core/personal_data.py)."""
        import equipage.organizations.personal_data  # noqa: F401  (its part of a member's data)
