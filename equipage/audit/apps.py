from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "equipage.audit"
    label = "audit"
