"""亲清驾驶舱: the cockpit's own read models, alert rules and alerts, visit tasks and street modules."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Enterprise
from qinqing.regions.models import Region

# ---- read models ---------------------------------------------------------------------------------
# Fed only by platform events (the outbox consumer `cockpit.aggregates`, `services/ingest.py`) and
# rebuilt from the source tables by `qinqing rebuildcockpit` (`services/rebuild.py`).


class EnterpriseState(models.Model):
    """One enterprise as the cockpit last saw it: where it is, its status and the figures it is counted by."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ABNORMAL = "abnormal", _("Listed as abnormal")
        REVOKED = "revoked", _("Licence revoked")
        DEREGISTERED = "deregistered", _("Deregistered")
        MOVED_OUT = "moved_out", _("Moved out")

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The region's materialised path ("330100/330108/330108001/"); a subtree is a path prefix.
    path = models.CharField(_("region path"), max_length=255, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    industry = models.CharField(_("industry section (GB/T 4754)"), max_length=1, blank=True)
    size = models.CharField(_("size"), max_length=8, blank=True)
    capital = models.DecimalField(_("registered capital (yuan)"), max_digits=16, decimal_places=2, null=True)
    capital_band = models.CharField(_("capital band"), max_length=16, blank=True)
    # Tags between commas (",high_tech,specialised,"), so that one tag is a portable `contains` filter.
    tags = models.CharField(_("tags"), max_length=120, blank=True)
    headcount = models.IntegerField(_("insured employees"), null=True, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    # Tax paid in the year of the latest annual report (企业年报 `tax_paid`, yuan) and that year.
    tax_paid = models.DecimalField(_("tax paid (yuan, latest annual report)"), max_digits=16, decimal_places=2,
                                   null=True, blank=True)
    tax_year = models.CharField(_("tax year"), max_length=8, blank=True)
    first_seen_at = models.DateTimeField(_("first seen at"))
    updated_at = models.DateTimeField(_("updated at"))
    # The outbox position of the last event applied to this enterprise: an older one changes nothing.
    last_txid = models.BigIntegerField(default=0)
    last_seq = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("enterprise as last seen")
        verbose_name_plural = _("enterprises as last seen")

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class EnterpriseChange(models.Model):
    """A change of an enterprise the cockpit observed (append-only journal of transitions).

    The registry keeps only an enterprise's current record; this journal is the one memory of where an
    enterprise was before a move and when its status changed, so the rebuild reads it like a source table.
    """

    class Kind(models.TextChoices):
        SEEN = "seen", _("First seen")
        MOVED = "moved", _("Moved")
        STATUS = "status", _("Status changed")
        HEADCOUNT = "headcount", _("Headcount changed")

    uscc = models.CharField(max_length=18)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    day = models.DateField()
    from_path = models.CharField(max_length=255, blank=True)
    to_path = models.CharField(max_length=255, blank=True)
    from_value = models.CharField(max_length=32, blank=True)
    to_value = models.CharField(max_length=32, blank=True)
    txid = models.BigIntegerField(default=0)
    seq = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["uscc", "at", "id"]
        indexes = [models.Index(fields=["uscc", "at"], name="cockpit_change_uscc_at")]
        verbose_name = _("observed change")
        verbose_name_plural = _("observed changes")

    def __str__(self) -> str:
        return f"{self.uscc} {self.kind} {self.day}"


class DailyAggregate(models.Model):
    """How much of one measure happened in one node's subtree on one day (kept for every ancestor node)."""

    node = models.CharField(max_length=24)  # region code
    measure = models.CharField(max_length=24)
    dimension = models.CharField(max_length=64, blank=True, default="")
    day = models.DateField()
    count = models.BigIntegerField(default=0)
    # Money in fen (分): integer sums are exact on every database; shown as Decimal yuan.
    amount_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "measure", "dimension", "day"],
                                               name="cockpit_daily_unique")]
        verbose_name = _("daily aggregate")
        verbose_name_plural = _("daily aggregates")

    def __str__(self) -> str:
        return f"{self.node} {self.measure}/{self.dimension} {self.day}: {self.count}"


class NodeTotal(models.Model):
    """A figure of the present in one node's subtree: enterprises by status, industry, size, band, tag; open items."""

    node = models.CharField(max_length=24)
    measure = models.CharField(max_length=24)
    dimension = models.CharField(max_length=64, blank=True, default="")
    count = models.BigIntegerField(default=0)
    # An amount summed with the count, in fen (the tax paid by the enterprises counted); 0 for pure counts.
    amount_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "measure", "dimension"], name="cockpit_total_unique")]
        verbose_name = _("node total")
        verbose_name_plural = _("node totals")

    def __str__(self) -> str:
        return f"{self.node} {self.measure}/{self.dimension}: {self.count}"


class CountedItem(models.Model):
    """A case, payout or visit already counted, with where and when: an event seen twice is not counted twice."""

    kind = models.CharField(max_length=24)
    item_id = models.BigIntegerField()
    path = models.CharField(max_length=255)
    day = models.DateField()
    dimension = models.CharField(max_length=64, blank=True, default="")
    amount_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "item_id"], name="cockpit_counted_once")]
        verbose_name = _("counted item")
        verbose_name_plural = _("counted items")

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id}"


# ---- alert rules and alerts (预警动态) ---------------------------------------------------------------


class Signal(models.TextChoices):
    """What happened to an enterprise that an alert rule may look at."""

    MOVED_OUT = "moved_out", _("Moved out")
    MOVED_IN = "moved_in", _("Moved in")
    DEREGISTERED = "deregistered", _("Deregistered or licence revoked")
    ABNORMAL = "abnormal", _("Listed as abnormal")
    HEADCOUNT_DROP = "headcount_drop", _("Headcount dropped")
    REGISTERED = "registered", _("Newly registered")
    PAYOUT_FAILED = "payout_failed", _("Payout failed")
    CASE_OVERDUE = "case_overdue", _("Case overdue")
    VISIT_OVERDUE = "visit_overdue", _("Visit overdue")


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlertRule(models.Model):
    """When a signal raises an alert: a JSONLogic condition over the signal and the enterprise's facts."""

    key = models.SlugField(_("key"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    signal = models.CharField(_("signal"), max_length=24, choices=Signal.choices)
    condition = models.JSONField(
        _("condition"), default=dict, blank=True,
        help_text=_('A JSONLogic condition over "signal.*" and "enterprise.*" facts; empty means always.'),
    )
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.WARNING)
    notify_roles = models.JSONField(
        _("who is told"), default=list, blank=True,
        help_text=_('Roles of the node\'s staff who are told, e.g. ["street_staff", "grid_staff"].'),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One alert in a node's feed: which enterprise, which rule, how severe, who acknowledged it."""

    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    signal = models.CharField(_("signal"), max_length=24, choices=Signal.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    node = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=255, db_index=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    enterprise_name = models.CharField(_("enterprise"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    day = models.DateField()
    # What raised it, so that the same signal seen again raises nothing new.
    source_key = models.CharField(max_length=120, unique=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["path", "-raised_at", "-id"], name="cockpit_alert_feed")]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.rule} · {self.enterprise_name or self.uscc}"


# ----------------------------------------------------------------------------- street modules


class CockpitModuleQuerySet(models.QuerySet["CockpitModule"]):
    def for_node(self, node: object) -> CockpitModuleQuerySet:
        """The active modules of a node: those of the node itself and of every node above it."""
        path = getattr(node, "path", "")
        prefixes = [path[: i + 1] for i, ch in enumerate(path) if ch == "/"]
        return self.filter(active=True, region__path__in=prefixes).order_by("order", "key")


class CockpitModule(models.Model):
    """A street's own module, configuration only: what to measure where, filtered, grouped, as which chart.

    It belongs to a region node and shows on that node's cockpit page and on every page below it.
    `spec` is validated on save (`qinqing.cockpit.modules.validate_spec`); see that module for its keys.
    """

    key = models.SlugField(_("key"), max_length=48)
    title = models.CharField(_("title"), max_length=64)
    title_en = models.CharField(_("title in English"), max_length=96, blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="cockpit_modules",
                               verbose_name=_("region"))
    spec = models.JSONField(_("specification"), default=dict,
                            help_text=_("Measures, filters, grouping and chart kind as JSON; checked on save."))
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CockpitModuleQuerySet.as_manager()

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("cockpit module")
        verbose_name_plural = _("cockpit modules")
        constraints = [models.UniqueConstraint(fields=["region", "key"], name="cockpit_module_key_per_region")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        self.full_clean(exclude=["region"] if self.region_id is None else None)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        from qinqing.cockpit.modules import validate_spec

        errors = validate_spec(self.spec)
        if errors:
            raise ValidationError({"spec": errors})
# ---- visits (走访): prompts raised by new registrations, tasks of the grid's staff, their records ----------------

DEFAULT_MIN_CAPITAL = Decimal("10000000.00")
DEFAULT_NEW_WITHIN_DAYS = 90
DEFAULT_DUE_WORKING_DAYS = 5


class VisitThreshold(models.Model):
    """When a newly registered enterprise raises a visit prompt, for a region and everything below it.

    The nearest row on the way up from the enterprise's node applies; without any, 10,000,000 yuan,
    established within 90 days, visited within 5 working days.
    """

    region = models.OneToOneField(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    min_capital = models.DecimalField(_("registered capital from (yuan)"), max_digits=16, decimal_places=2,
                                      default=DEFAULT_MIN_CAPITAL)
    new_within_days = models.PositiveSmallIntegerField(
        _("newly registered: established within (days)"), default=DEFAULT_NEW_WITHIN_DAYS)
    due_working_days = models.PositiveSmallIntegerField(_("visit within (working days)"),
                                                        default=DEFAULT_DUE_WORKING_DAYS)
    active = models.BooleanField(_("raise prompts"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("visit threshold")
        verbose_name_plural = _("visit thresholds")

    def __str__(self) -> str:
        return f"{self.region} ≥ {self.min_capital}"


class VisitQuerySet(models.QuerySet["Visit"]):
    def visible_to(self, user: object) -> VisitQuerySet:
        """Visits of enterprises in the viewer's region subtree (street, grid, district staff); all for a superuser."""
        from qinqing.accounts.scope import scope_of

        scope = scope_of(user)
        if scope.is_superuser:
            return self
        if not scope.is_regional:
            return self.none()
        return self.filter(region__path__startswith=scope.region_path)

    def open(self) -> VisitQuerySet:
        return self.exclude(status=Visit.Status.CLOSED)


class Visit(models.Model):
    """A visit task: go to an enterprise's door (policy explanation, Q&A), record it, close it."""

    class Origin(models.TextChoices):
        PROMPT = "prompt", _("Visit prompt (new registration)")
        MANUAL = "manual", _("Arranged by staff")

    class Status(models.TextChoices):
        OPEN = "open", _("To visit")
        VISITED = "visited", _("Visited, follow-up open")
        CLOSED = "closed", _("Closed after the visit")

    uscc = models.CharField(_("unified social credit code"), max_length=18, db_index=True)
    enterprise_name = models.CharField(_("enterprise"), max_length=200)
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    registered_capital = models.DecimalField(_("registered capital (yuan)"), max_digits=16, decimal_places=2,
                                             null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("assignee"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    raised_at = models.DateTimeField(_("raised at"))
    due_at = models.DateTimeField(_("due at"))
    due_provisional = models.BooleanField(default=False)
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    work_order = models.ForeignKey("servicedesk.WorkOrder", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("work order"))

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            # A registration raises its prompt exactly once, however often its events arrive.
            models.UniqueConstraint(fields=["uscc"], condition=Q(origin="prompt"), name="visit_one_prompt_each"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="visit_status_due")]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"{self.enterprise_name}（{self.uscc}）"

    def is_overdue(self, now: object = None) -> bool:
        """Still open after its due time."""
        from django.utils import timezone

        moment = now or timezone.now()
        return self.status == self.Status.OPEN and self.due_at < moment  # type: ignore[operator]


class VisitRecord(models.Model):
    """What happened at the door: when, who came, what was talked about."""

    class Topic(models.TextChoices):
        POLICY = "policy", _("Policy explanation")
        QA = "qa", _("Q&A")
        APPEAL = "appeal", _("Appeals")
        FOLLOW_UP = "follow_up", _("Follow-up")

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="records")
    visited_on = models.DateField(_("visited on"))
    attendees = models.CharField(_("attendees"), max_length=500)
    topics = models.JSONField(_("topics"), default=list)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visited_on", "pk"]
        verbose_name = _("visit record")
        verbose_name_plural = _("visit records")

    def __str__(self) -> str:
        return f"{self.visit} · {self.visited_on}"

    def topic_labels(self) -> list[str]:
        labels = dict(self.Topic.choices)
        return [str(labels.get(t, t)) for t in self.topics]
