from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "cuakhau.fees"
    label = "fees"
