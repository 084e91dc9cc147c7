from django.apps import AppConfig


class SituationConfig(AppConfig):
    name = "cuakhau.situation"
    label = "situation"
