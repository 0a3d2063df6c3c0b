from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "qinqing.core"
    label = "core"
    verbose_name = "基础设施"

    def ready(self) -> None:
        from qinqing.core import checks  # noqa: F401  (registers the system checks)
