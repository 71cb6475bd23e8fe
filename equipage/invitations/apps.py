from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "equipage.invitations"
    label = "invitations"

    def ready(self) -> None:
        """Register this app's periodic housekeeping jobs (see core/housekeeping.py)."""
        import equipage.invitations.housekeeping  # noqa: F401  (registers its periodic jobs)
