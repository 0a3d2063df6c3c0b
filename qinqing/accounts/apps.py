from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qinqing.accounts"
    label = "accounts"
