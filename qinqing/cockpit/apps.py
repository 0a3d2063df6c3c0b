from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CockpitConfig(AppConfig):
    name = "qinqing.cockpit"
    label = "cockpit"
    verbose_name = _("Street cockpit")

    def ready(self) -> None:
        # The visit models' admin lives beside the visits (the app's admin.py holds the read models' admin).
        from qinqing.cockpit import visits_admin  # noqa: F401
