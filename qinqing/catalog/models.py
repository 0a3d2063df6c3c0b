"""Boards, matters, their form schemas and material requirements."""

from __future__ import annotations

import re
from collections.abc import Collection
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Department
from qinqing.core.i18n import localised
from qinqing.core.values import UNITS, unit_label
from qinqing.rules.models import RuleSet


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
        return localised(self.name, self.name_en)


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("calendar days")


# The six kinds of government power a matter belongs to, as the catalogue names them.
MATTER_TYPES = {
    "行政许可": _("Administrative licence"),
    "行政确认": _("Administrative confirmation"),
    "备案": _("Filing"),
    "公共服务": _("Public service"),
    "其他行政权力": _("Other administrative power"),
    "行政给付": _("Administrative payment"),
}


class DuplicatePolicy(models.TextChoices):
    """How many applications of one matter an enterprise may hold at once."""

    MANY = "many", _("Any number")
    ONE_OPEN = "one_open", _("One open application at a time")
    ONE_PER_PERIOD = "one_per_period", _("One per period")
    ONE_PER_PROJECT = "one_per_project", _("One per project")


class DuplicatePeriod(models.TextChoices):
    YEAR = "year", _("year")
    QUARTER = "quarter", _("quarter")
    MONTH = "month", _("month")


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
    legal_basis_en = models.TextField(_("English legal basis"), blank=True)
    statutory_limit = models.PositiveIntegerField(_("statutory time limit"))
    statutory_unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices)
    promised_limit = models.PositiveIntegerField(_("promised time limit"))
    promised_unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices)
    manual_limit = models.PositiveIntegerField(
        _("time limit after referral to manual review"), null=True, blank=True,
        help_text=_("For a matter decided automatically: the time the department has when the rules refer a "
                    "case to a person, counted from the referral. Empty: the statutory time limit."),
    )
    manual_unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)
    duplicate_policy = models.CharField(
        _("applications an enterprise may hold"), max_length=16, choices=DuplicatePolicy.choices,
        default=DuplicatePolicy.MANY,
    )
    duplicate_period = models.CharField(_("period"), max_length=8, choices=DuplicatePeriod.choices, blank=True,
                                        help_text=_("For “one per period”."))
    duplicate_project_field = models.CharField(_("project field"), max_length=64, blank=True,
                                               help_text=_("For “one per project”: the key of the form field "
                                                           "that names the project."))
    single_valid_licence = models.BooleanField(
        _("one valid licence per enterprise"), default=False,
        help_text=_("Refuse a new application while the enterprise holds a valid licence of this matter."),
    )
    fee = models.DecimalField(_("fee (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    licence_name = models.CharField(_("document issued"), max_length=100)
    licence_name_en = models.CharField(_("English name of the document issued"), max_length=200, blank=True)
    licence_valid_years = models.PositiveSmallIntegerField(_("licence validity (years)"), null=True, blank=True)
    automatic = models.BooleanField(_("decided automatically (秒办)"), default=False)
    rule_set = models.ForeignKey(RuleSet, null=True, blank=True, on_delete=models.PROTECT, related_name="matters")
    active = models.BooleanField(_("online"), default=True)
    licence_fields = models.JSONField(
        _("fields shown on the licence"), default=list, blank=True,
        help_text=_("Form field keys whose values the licence states (and signs), in order."),
    )
    issues_project_code = models.BooleanField(
        _("assigns the national project code"), default=False,
        help_text=_("On approval, give the project its investment project code (yyMM-division-industry-type-serial)."),
    )
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
        return localised(self.name, self.name_en)

    @property
    def display_legal_basis(self) -> str:
        return localised(self.legal_basis, self.legal_basis_en)

    @property
    def display_licence_name(self) -> str:
        return localised(self.licence_name, self.licence_name_en)

    @property
    def display_matter_type(self) -> str:
        """The kind of government power, in the current language (the data holds the official Chinese term)."""
        words = MATTER_TYPES.get(self.matter_type)
        return str(words) if words is not None else self.matter_type

    @property
    def is_automatic(self) -> bool:
        return self.automatic and self.rule_set_id is not None

    @property
    def limits_duplicates(self) -> bool:
        """Tell whether a second application of this matter may be refused."""
        return self.duplicate_policy != DuplicatePolicy.MANY or self.single_valid_licence

    def clean(self) -> None:
        problem = duplicate_policy_problem(self.duplicate_policy, self.duplicate_period, self.duplicate_project_field)
        if problem:
            raise ValidationError({"duplicate_policy": problem})


def duplicate_policy_problem(policy: str, period: str, project_field: str,
                             field_keys: Collection[str] | None = None) -> str:
    """Why a duplicate policy is inconsistent, or "" when it is sound."""
    if policy not in DuplicatePolicy.values:
        return str(_("Unknown duplicate policy %(policy)r.") % {"policy": policy})
    if policy == DuplicatePolicy.ONE_PER_PERIOD and period not in DuplicatePeriod.values:
        return str(_("“One per period” needs a period: year, quarter or month."))
    if policy == DuplicatePolicy.ONE_PER_PROJECT:
        if not project_field:
            return str(_("“One per project” needs the key of the project field."))
        if field_keys is not None and project_field not in field_keys:
            return str(_("The form has no field %(key)s.") % {"key": project_field})
    return ""


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

    class Kind(models.TextChoices):
        """What a value means beyond its type: checked by the matching validator in `core`."""

        PLAIN = "", _("Plain")
        USCC = "uscc", _("Unified social credit code")
        RESIDENT_ID = "resident_id", _("Resident ID number")
        ID_OR_USCC = "id_or_uscc", _("Resident ID number or unified social credit code")
        MOBILE = "mobile", _("Mobile number")
        LANDLINE = "landline", _("Landline number")
        PHONE = "phone", _("Mobile or landline number")
        BANK_ACCOUNT = "bank_account", _("Bank account number")
        POSTCODE = "postcode", _("Postcode")
        EMAIL = "email", _("E-mail address")
        AMOUNT = "amount", _("Amount of money")
        AREA = "area", _("Area")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=160, blank=True)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    kind = models.CharField(_("value kind"), max_length=16, choices=Kind.choices, blank=True, default="")
    unit = models.CharField(_("unit"), max_length=16, blank=True, default="",
                            choices=[(code, u.symbol) for code, u in UNITS.items()])
    required = models.BooleanField(_("required"), default=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    min_value = models.DecimalField(_("minimum"), max_digits=20, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=20, decimal_places=2, null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    prefill = models.CharField(_("prefill from"), max_length=64, blank=True)
    editable = models.BooleanField(_("enterprise may change a prefilled value"), default=True)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    help_text_en = models.CharField(_("English help text"), max_length=400, blank=True)
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
        return localised(self.label, self.label_en)

    @property
    def unit_label(self) -> str:
        """The unit written next to the value (元, 万元, m² …), in the active language."""
        return localised(unit_label(self.unit), unit_label(self.unit, english=True))

    @property
    def display_help(self) -> str:
        return localised(self.help_text, self.help_text_en)


# What can stand in for an uploaded material ("satisfied by shared data"): the online form itself,
# a shared-data source, or an e-licence the platform issued for another matter (licences:<MATTER-CODE>).
SATISFIED_BY_FORM = "form"
SATISFIED_BY_SOURCES = (
    "market_registry", "land_contracts", "project_codes", "social_insurance", "housing_fund",
    "tax_registration", "qualifications",
)
SATISFIED_BY_LICENCE = "licences:"
_MATTER_CODE = re.compile(r"^[A-Z]{2,8}-\d{3}$")


def satisfied_by_problem(value: str, matter_codes: Collection[str] | None = None) -> str:
    """Why `value` is not a valid MaterialRequirement.satisfied_by, or "" when it is.

    Valid: "" (upload needed), "form", a source code, or "licences:<MATTER-CODE>" (of a known matter
    when `matter_codes` is given).
    """
    if value in ("", SATISFIED_BY_FORM) or value in SATISFIED_BY_SOURCES:
        return ""
    if value.startswith(SATISFIED_BY_LICENCE):
        code = value[len(SATISFIED_BY_LICENCE):]
        if not _MATTER_CODE.match(code):
            return f"{code!r} is not a matter code"
        if matter_codes is not None and code not in matter_codes:
            return f"no matter {code}"
        return ""
    choices = ", ".join(SATISFIED_BY_SOURCES)
    return f'unknown value {value!r} (use "", "form", licences:<MATTER-CODE> or one of {choices})'


def validate_satisfied_by(value: str) -> None:
    problem = satisfied_by_problem(value)
    if problem:
        raise ValidationError(problem)


class MaterialRequirement(models.Model):
    """A document the applicant must (or may) upload, unless something the platform holds satisfies it."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="materials")
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    note_en = models.CharField(_("English note"), max_length=400, blank=True)
    satisfied_by = models.CharField(
        _("satisfied by shared data"), max_length=64, blank=True, validators=[validate_satisfied_by],
        help_text=_('Empty: the applicant uploads it. "form": the online form is this material. A data source '
                    '(market_registry, land_contracts, project_codes, social_insurance, housing_fund, '
                    'tax_registration, qualifications), or licences:<MATTER-CODE> for an e-licence the platform '
                    'issued for that matter.'),
    )
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
        return localised(self.name, self.name_en)

    @property
    def display_note(self) -> str:
        return localised(self.note, self.note_en)

    def clean(self) -> None:
        super().clean()
        value = self.satisfied_by or ""
        if value.startswith(SATISFIED_BY_LICENCE) and not satisfied_by_problem(value):
            code = value[len(SATISFIED_BY_LICENCE):]
            if not Matter.objects.filter(code=code).exists():
                raise ValidationError({"satisfied_by": _("No matter has the code %(code)s.") % {"code": code}})

    @property
    def needs_upload(self) -> bool:
        """True when the applicant has to upload it (nothing the platform holds satisfies it)."""
        return not self.satisfied_by
