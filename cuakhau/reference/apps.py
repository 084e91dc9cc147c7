from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "cuakhau.reference"
    label = "reference"

    def ready(self) -> None:
        from cuakhau.reference.catalog import connect_signals

        connect_signals()
