from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "equipage.accounts"
    label = "accounts"

    def ready(self) -> None:
        """Register this app's periodic housekeeping jobs (see core/housekeeping.py)."""
        import equipage.accounts.erasure
        import equipage.accounts.housekeeping  # noqa: F401  (registers its periodic jobs)
