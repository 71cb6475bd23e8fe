from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "equipage.invitations"
    label = "invitations"

    def ready(self) -> None:
        """Register this app's periodic housekeeping jobs (see core/housekeeping.py)."""
        import equipage.invitations.housekeeping
        import equipage.invitations.personal_data  # noqa: F401  (its part of a member's data)
