from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "qinqing.catalog"
    verbose_name = _("Service catalogue")
    label = "catalog"

    def ready(self) -> None:
        from qinqing.catalog import cache

        cache.connect()
