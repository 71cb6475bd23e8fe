from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "equipage.organizations"
    label = "organizations"
