from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CockpitConfig(AppConfig):
    name = "qinqing.cockpit"
    label = "cockpit"
    verbose_name = _("Street cockpit")

    def ready(self) -> None:
        # The visit models' admin lives beside the visits (the app's admin.py holds the read models' admin).
        from django.db.models.signals import post_delete, post_save

        from qinqing.cockpit import visits_admin  # noqa: F401
        from qinqing.cockpit.observe import forget_regions
        from qinqing.regions.models import Region

        # The consumer keeps the region tree between batches; a change in this process drops it at once
        # (other processes see the change by the tree's mark, `observe.Regions.current`).
        def forget(sender: type, **kwargs: object) -> None:
            forget_regions()

        post_save.connect(forget, sender=Region, weak=False, dispatch_uid="cockpit-regions-save")
        post_delete.connect(forget, sender=Region, weak=False, dispatch_uid="cockpit-regions-delete")
