from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "qinqing.cases"
    label = "cases"
