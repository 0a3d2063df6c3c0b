"""亲清驾驶舱: the cockpit's own read models, alert rules and alerts, visit tasks and street modules."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Enterprise
from qinqing.regions.models import Region

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
        CLOSED = "closed", _("Closed")

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
