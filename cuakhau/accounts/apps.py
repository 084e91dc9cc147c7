from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cuakhau.accounts"
    label = "accounts"
