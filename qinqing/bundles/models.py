"""一件事 bundles: a DAG of matters behind one merged form, and the parent cases they create."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Authorisation, Department
from qinqing.cases.models import Case
from qinqing.catalog.models import Matter
from qinqing.core.i18n import localised

CONFIDENCE_MARK = re.compile(r"[（(](?:verified-component|inferred|unverified|plausible|optional)[^）)]*[）)]")




class BundleQuerySet(models.QuerySet["Bundle"]):
    def online(self) -> BundleQuerySet:
        return self.filter(active=True)


class Bundle(models.Model):
    """One 一件事: several matters an enterprise applies for at once."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    lead_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(_("summary"), blank=True)
    summary_en = models.TextField(_("English summary"), blank=True)
    basis = models.TextField(_("basis"), blank=True)
    confidence = models.CharField(_("confidence"), max_length=32, blank=True)
    government_acts = models.BooleanField(_("government acts on the enterprise's behalf (政府替办)"), default=False)
    active = models.BooleanField(_("online"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = BundleQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("bundle (一件事)")
        verbose_name_plural = _("bundles (一件事)")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localised(self.name, self.name_en)

    @property
    def display_summary(self) -> str:
        return localised(self.summary, self.summary_en)


class BundleStep(models.Model):
    """One matter of a bundle, the steps it waits for, and who performs it."""

    class Performer(models.TextChoices):
        ENTERPRISE = "enterprise", _("Starts by itself")
        AGENT = "agent", _("Prepared by the agent (政府替办)")

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(_("key"), max_length=32)
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="bundle_steps")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    requires = models.JSONField(_("waits for (step keys)"), default=list, blank=True)
    performer = models.CharField(_("performer"), max_length=16, choices=Performer.choices,
                                 default=Performer.ENTERPRISE)
    enabled = models.BooleanField(_("enabled"), default=True)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True,
                              help_text=_('Child field key → "form.<merged key>" or "steps.<step>.licence_number".'))
    note = models.CharField(_("note"), max_length=300, blank=True)
    note_en = models.CharField(_("English note"), max_length=400, blank=True)

    class Meta:
        ordering = ["bundle", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["bundle", "key"], name="unique_step_key_per_bundle")]
        verbose_name = _("bundle step")
        verbose_name_plural = _("bundle steps")

    def __str__(self) -> str:
        return f"{self.bundle.code}.{self.key}"

    @property
    def display_note(self) -> str:
        """The note for the public: research confidence marks such as （inferred） are for editors."""
        return CONFIDENCE_MARK.sub("", localised(self.note, self.note_en)).strip()


class BundleCase(models.Model):
    """What a bundle's parent case needs beyond a case: the definition, and the agent acting."""

    parent = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="bundle_case")
    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="cases")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    authorisation = models.ForeignKey(Authorisation, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    uploads = models.JSONField(default=dict, blank=True)  # material code → stored upload, reused by later steps

    class Meta:
        verbose_name = _("bundle case")
        verbose_name_plural = _("bundle cases")

    def __str__(self) -> str:
        return f"{self.bundle.code} {self.parent.number}"
