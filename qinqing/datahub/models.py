"""Shared government data held about enterprises; each record says where it came from and when."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Enterprise
from qinqing.accounts.scope import NOTHING, Owner, Scope, scope_of
from qinqing.datahub.rows import SourceDefinitionError, field_specs

EVERY_STAFF = "*"
LICENCES = "licences"
# Sources only the platform's own services write (the licence service issues and revokes licences):
# no import, no command and no adapter override may write them, and no record of theirs stands in
# for a material; the rows of their owner (cases.Licence) are the one truth.
PLATFORM_SOURCES = frozenset({LICENCES})


class Source(models.Model):
    """A department system that supplies records, described as data: its fields, key and readers."""

    class Adapter(models.TextChoices):
        TABLE = "table", _("Generic table")
        REGISTRY = "registry", _("Market-supervision registry table")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    department_code = models.CharField(_("supplying department code"), max_length=16, blank=True)
    department_name = models.CharField(_("supplying department"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    fact_prefix = models.SlugField(_("fact prefix"), max_length=32, unique=True,
                                   help_text=_("Facts are named <prefix>.<field>, e.g. land.area."))
    provides_facts = models.BooleanField(
        _("provides facts"), default=True,
        help_text=_("The most recent record gives prefill and rule facts; off for sources of many records."),
    )
    fields = models.JSONField(
        _("fields"), default=list, blank=True,
        help_text=_("A list of {name, label, label_en, type: text|integer|decimal|date, required, max_length}."),
    )
    key_field = models.CharField(_("key field"), max_length=32, help_text=_("The field identifying a record."))
    category_field = models.CharField(_("category field"), max_length=32, blank=True)
    title_field = models.CharField(_("title field"), max_length=32, blank=True)
    readers = models.JSONField(
        _("readers"), default=list, blank=True,
        help_text=_('Department codes whose staff may read this source, or ["*"] for all government staff.'),
    )
    adapter = models.CharField(_("adapter"), max_length=32, choices=Adapter.choices, default=Adapter.TABLE)
    last_imported_at = models.DateTimeField(_("last imported at"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Check the field definitions an import and the prefill names depend on."""
        try:
            specs = field_specs(self)
        except SourceDefinitionError as exc:
            raise ValidationError({"fields": str(exc)}) from exc
        names = {spec.name for spec in specs}
        for attr in ("key_field", "category_field", "title_field"):
            value = getattr(self, attr)
            if value and value not in names:
                raise ValidationError({attr: _("Not one of the source's fields.")})
        readers = self.readers
        if not isinstance(readers, list) or not all(isinstance(r, str) for r in readers):
            raise ValidationError({"readers": _('Enter a list of department codes, or ["*"].')})

    def display_name(self, english: bool = False) -> str:
        return (self.name_en if english else "") or self.name

    def read_by_department(self, department_code: str) -> bool:
        """Tell whether a department's reviewers read this source (for any enterprise)."""
        readers = self.readers or []
        return EVERY_STAFF in readers or bool(department_code and department_code in readers)


def sources_needed_by(bundle_codes: frozenset[str]) -> frozenset[str]:
    """The source codes the given 一件事 read (empty: every online one), by the function the setting names.

    The bundles sit above the data hub, so the data hub asks them through
    `QINQING_DATAHUB_BUNDLE_SOURCES` (a dotted path); unset, an agent reads nothing (fail closed).
    """
    path = getattr(settings, "QINQING_DATAHUB_BUNDLE_SOURCES", "")
    if not path:
        return frozenset()
    resolve: Callable[[frozenset[str]], Iterable[str]] = import_string(path)
    return frozenset(resolve(bundle_codes))


def _regional_usccs(scope: Scope) -> QuerySet[Enterprise, str]:
    return Enterprise.objects.filter(region__path__startswith=scope.region_path).values_list("uscc", flat=True)


def readable_sources(user: object, uscc: str) -> list[Source]:
    """The sources of one enterprise a user may read, by the one scope.

    An enterprise reads its own; a superuser everything; a reviewer the sources its department is a
    reader of (or all staff read); street and district staff the same, for enterprises of their
    region only; an agent, only under an active (not revoked, not expired) authorisation of that
    enterprise, only the sources the authorised 一件事 read. Importers, supervisors and other staff
    read nothing here.
    """
    scope = scope_of(user)
    if not scope.is_authenticated:
        return []
    sources = list(Source.objects.all())
    if scope.is_superuser:
        return sources
    if scope.is_enterprise:
        return sources if scope.enterprise_uscc == uscc else []
    if not scope.is_staff_member:
        return []
    allowed: set[str] = set()
    if scope.is_reviewer or (scope.is_regional and _regional_usccs(scope).filter(uscc=uscc).exists()):
        allowed |= {s.code for s in sources if s.read_by_department(scope.department_code)}
    if scope.is_agent:
        for grant in scope.active_grants():
            if grant.uscc == uscc:
                allowed |= sources_needed_by(grant.bundle_codes)
    return [s for s in sources if s.code in allowed]


def records_q(user: object) -> Q:
    """Which shared-data records (DataRecord or RegistryRecord) a user may read: `readable_sources` as a Q."""
    scope = scope_of(user)
    if not scope.is_staff_member or scope.is_superuser:
        return scope.q(Owner(enterprise="uscc", by_uscc=True))
    sources = list(Source.objects.all())
    by_department = [s.pk for s in sources if s.read_by_department(scope.department_code)]
    q = NOTHING
    if scope.is_reviewer:
        q |= Q(source_id__in=by_department)
    if scope.is_regional:
        q |= Q(source_id__in=by_department, uscc__in=_regional_usccs(scope))
    if scope.is_agent:
        for grant in scope.active_grants():
            needed = sources_needed_by(grant.bundle_codes)
            q |= Q(uscc=grant.uscc, source_id__in=[s.pk for s in sources if s.code in needed])
    return q


_Records = TypeVar("_Records", bound=models.QuerySet[Any])


def _visible(queryset: _Records, user: object) -> _Records:
    return queryset.filter(records_q(user))


class RegistryRecordQuerySet(models.QuerySet["RegistryRecord"]):
    def visible_to(self, user: object) -> RegistryRecordQuerySet:
        """Scope like DataRecord (`records_q`)."""
        return _visible(self, user)


class RegistryRecord(models.Model):
    """The market-supervision registry's record of one enterprise."""

    class Status(models.TextChoices):
        ACTIVE = "存续", _("Active")
        OPERATING = "在业", _("Operating")
        REVOKED = "吊销", _("Licence revoked")
        CANCELLED = "注销", _("Deregistered")
        MOVED_OUT = "迁出", _("Moved out")

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="registry_records")
    # Unique by a constraint, not `unique=True`: on PostgreSQL the field form adds a second index on the code
    # (`varchar_pattern_ops`, for LIKE 'prefix%') that no query of the registry uses and every import writes.
    uscc = models.CharField(_("unified social credit code"), max_length=18)
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
    # Written by `gencity` for demos and benchmarks; `gencity --clear` removes exactly these rows.
    # Indexed only where true (the partial index below): real rows, the province's millions, have no entry.
    synthetic = models.BooleanField(_("synthetic"), default=False)

    objects = RegistryRecordQuerySet.as_manager()

    class Meta:
        ordering = ["uscc"]
        constraints = [models.UniqueConstraint(fields=["uscc"], name="registry_uscc_unique")]
        indexes = [models.Index(fields=["synthetic"], condition=Q(synthetic=True), name="registry_synthetic")]
        verbose_name = _("registry record")
        verbose_name_plural = _("registry records")

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class DataRecordQuerySet(models.QuerySet["DataRecord"]):
    def visible_to(self, user: object) -> DataRecordQuerySet:
        """Scope by `records_q`: own records, reviewers' sources, a region's enterprises, an agent's mandates."""
        return _visible(self, user)


class DataRecord(models.Model):
    """One record of a generic source (a land contract, a tax registration, …); values in `data`."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="records")
    uscc = models.CharField(_("unified social credit code"), max_length=18, db_index=True)
    key = models.CharField(_("key"), max_length=64)
    category = models.CharField(_("category"), max_length=64, blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    data = models.JSONField(_("data"), default=dict)
    as_of = models.DateTimeField(_("as of"))
    imported_at = models.DateTimeField(_("imported at"))
    synthetic = models.BooleanField(_("synthetic"), default=False, db_index=True)

    objects = DataRecordQuerySet.as_manager()

    class Meta:
        ordering = ["source", "key"]
        verbose_name = _("data record")
        verbose_name_plural = _("data records")
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="datahub_record_source_key")]

    def __str__(self) -> str:
        return f"{self.title}（{self.key}）"
