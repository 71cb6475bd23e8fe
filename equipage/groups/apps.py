from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "equipage.groups"
    label = "groups"
