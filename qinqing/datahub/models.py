"""Shared government data held about enterprises; each record says where it came from and when."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    """A department system that supplies records (the market-supervision registry, …)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    department_name = models.CharField(_("supplying department"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")

    def __str__(self) -> str:
        return self.name


class RegistryRecordQuerySet(models.QuerySet["RegistryRecord"]):
    def visible_to(self, user: object) -> RegistryRecordQuerySet:
        enterprise = getattr(user, "enterprise", None)
        if getattr(user, "is_superuser", False):
            return self
        if enterprise is not None:
            return self.filter(uscc=enterprise.uscc)
        return self.none()


class RegistryRecord(models.Model):
    """The market-supervision registry's record of one enterprise."""

    class Status(models.TextChoices):
        ACTIVE = "存续", _("Active")
        OPERATING = "在业", _("Operating")
        REVOKED = "吊销", _("Licence revoked")
        CANCELLED = "注销", _("Deregistered")

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="registry_records")
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_representative = models.CharField(_("legal representative"), max_length=64)
    registered_capital = models.DecimalField(_("registered capital (yuan)"), max_digits=16, decimal_places=2)
    industry_code = models.CharField(_("industry code (GB/T 4754)"), max_length=8)
    industry_name = models.CharField(_("industry"), max_length=100)
    entity_type = models.CharField(_("entity type"), max_length=64)
    address = models.CharField(_("address"), max_length=300)
    region_code = models.CharField(_("region code"), max_length=24)
    established_on = models.DateField(_("established on"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    as_of = models.DateTimeField(_("as of"))

    objects = RegistryRecordQuerySet.as_manager()

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("registry record")
        verbose_name_plural = _("registry records")

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"
