from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "equipage.accounts"
    label = "accounts"
