from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "cuakhau.gates"
    label = "gates"
