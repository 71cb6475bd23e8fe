from typing import Any

from django.apps import AppConfig


def _stamp_last_login(sender: Any, user: Any, **kwargs: Any) -> None:
    """Write the login time from the application's clock (Django's own handler reads the
    wall clock): the dormant-accounts rule compares it with ``clock.now()``."""
    from equipage.core import clock

    user.last_login = clock.now()
    type(user).objects.filter(pk=user.pk).update(last_login=user.last_login)


class AccountsConfig(AppConfig):
    name = "equipage.accounts"
    label = "accounts"

    def ready(self) -> None:
        """Register this app's periodic housekeeping jobs (see core/housekeeping.py)."""
        from django.contrib.auth.signals import user_logged_in

        import equipage.accounts.erasure
        import equipage.accounts.housekeeping
        import equipage.accounts.personal_data  # noqa: F401  (its part of a member's data)

        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(_stamp_last_login, dispatch_uid="update_last_login")
