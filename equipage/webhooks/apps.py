from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "equipage.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        import equipage.webhooks.erasure
        import equipage.webhooks.housekeeping  # noqa: F401  (registers its periodic jobs)
        from equipage.audit.record import LISTENERS
        from equipage.webhooks.emit import on_audit_events

        if on_audit_events not in LISTENERS:
            LISTENERS.append(on_audit_events)
