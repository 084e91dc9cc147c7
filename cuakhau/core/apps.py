from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cuakhau.core"
    label = "core"
