"""Boards, matters, their form schemas and material requirements."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Department
from qinqing.rules.models import RuleSet


def _localised(zh: str, en: str) -> str:
    lang = get_language() or "zh-hans"
    return en if lang.startswith("en") and en else zh


class Board(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("board")
        verbose_name_plural = _("boards")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("calendar days")


class MatterQuerySet(models.QuerySet["Matter"]):
    def online(self) -> MatterQuerySet:
        return self.filter(active=True)


class Matter(models.Model):
    """A government service type an enterprise can apply for."""

    class Kind(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediate (即办件)")
        PROMISED = "promised", _("Promised (承诺件)")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="matters")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="matters")
    matter_type = models.CharField(_("matter type"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    legal_basis = models.TextField(_("legal basis"))
    statutory_limit = models.PositiveIntegerField(_("statutory time limit"))
    statutory_unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices)
    promised_limit = models.PositiveIntegerField(_("promised time limit"))
    promised_unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices)
    fee = models.DecimalField(_("fee (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    licence_name = models.CharField(_("document issued"), max_length=100)
    licence_valid_years = models.PositiveSmallIntegerField(_("licence validity (years)"), null=True, blank=True)
    automatic = models.BooleanField(_("decided automatically (秒办)"), default=False)
    rule_set = models.ForeignKey(RuleSet, null=True, blank=True, on_delete=models.PROTECT, related_name="matters")
    active = models.BooleanField(_("online"), default=True)
    source_id = models.CharField(_("research id"), max_length=16, blank=True)
    confidence = models.CharField(_("confidence"), max_length=100, blank=True)

    objects = MatterQuerySet.as_manager()

    class Meta:
        ordering = ["board__order", "code"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def is_automatic(self) -> bool:
        return self.automatic and self.rule_set_id is not None


class FormField(models.Model):
    """One field of a matter's application form."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        TEXTAREA = "textarea", _("Long text")
        INTEGER = "integer", _("Integer")
        DECIMAL = "decimal", _("Decimal")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        BOOLEAN = "boolean", _("Yes/no")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=160, blank=True)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    required = models.BooleanField(_("required"), default=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    min_value = models.DecimalField(_("minimum"), max_digits=20, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=20, decimal_places=2, null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    prefill = models.CharField(_("prefill from"), max_length=64, blank=True)
    editable = models.BooleanField(_("enterprise may change a prefilled value"), default=True)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["matter", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["matter", "key"], name="unique_field_key_per_matter")]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")

    def __str__(self) -> str:
        return f"{self.matter.code}.{self.key}"

    @property
    def display_label(self) -> str:
        return _localised(self.label, self.label_en)


class MaterialRequirement(models.Model):
    """A document the applicant must (or may) upload."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="materials")
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["matter", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["matter", "code"], name="unique_material_code_per_matter")]
        verbose_name = _("material requirement")
        verbose_name_plural = _("material requirements")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)
