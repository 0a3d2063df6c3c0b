"""The administrative tree: city → district → street → community (→ grid → building → floor → unit)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionQuerySet(models.QuerySet["Region"]):
    def subtree(self, root: Region) -> RegionQuerySet:
        """Return the root and every region below it."""
        return self.filter(path__startswith=root.path)


class Region(models.Model):
    class Level(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        STREET = "street", _("Street")
        COMMUNITY = "community", _("Community")
        GRID = "grid", _("Grid")
        BUILDING = "building", _("Building")
        FLOOR = "floor", _("Floor")
        UNIT = "unit", _("Unit")

    code = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Materialised path of codes ("330100/330108/330108001/"), for subtree scoping in one query.
    path = models.CharField(max_length=255, db_index=True)
    active = models.BooleanField(_("active"), default=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name
