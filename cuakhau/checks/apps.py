from django.apps import AppConfig


class ChecksConfig(AppConfig):
    name = "cuakhau.checks"
    label = "checks"
