from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "equipage.directory"
    label = "directory"
