from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "qinqing.core"
    label = "core"
    verbose_name = _("Infrastructure")

    def ready(self) -> None:
        from qinqing.core import checks  # noqa: F401  (registers the system checks)

