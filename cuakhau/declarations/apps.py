from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "cuakhau.declarations"
    label = "declarations"
