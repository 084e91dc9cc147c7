from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "cuakhau.queueing"
    label = "queueing"
