from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatahubConfig(AppConfig):
    name = "qinqing.datahub"
    verbose_name = _("Shared data")
    label = "datahub"

    def ready(self) -> None:
        from qinqing.datahub import sources

        sources.connect()
