from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "qinqing.core"
    label = "core"
    verbose_name = "基础设施"
