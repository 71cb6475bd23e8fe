from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "equipage.tokens"
    label = "tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import equipage.tokens.personal_data  # noqa: F401  (its part of a member's data)
        from equipage.audit.record import LISTENERS
        from equipage.tokens.selectors import forget_verified_tokens

        # Any audited write may revoke a token or demote its creator: this process forgets
        # the tokens it verified at once (other processes within VERIFIED_TOKEN_SECONDS).
        if forget_verified_tokens not in LISTENERS:
            LISTENERS.append(forget_verified_tokens)
