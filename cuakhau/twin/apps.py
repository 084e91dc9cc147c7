from django.apps import AppConfig


class TwinConfig(AppConfig):
    name = "cuakhau.twin"
    label = "twin"
    verbose_name = "Digital twin"
