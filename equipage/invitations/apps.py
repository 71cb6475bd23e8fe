from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "equipage.invitations"
    label = "invitations"
