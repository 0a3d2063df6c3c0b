from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "qinqing.rules"
    label = "rules"
