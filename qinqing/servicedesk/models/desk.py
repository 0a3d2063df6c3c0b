"""Who serves at the desk: D小二 profiles, dedications, channels and SLA policies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Enterprise
from qinqing.core.clock import Unit
from qinqing.regions.models import Region


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")


class DeskRole(models.TextChoices):
    CHIEF = "chief", _("Chief D小二")
    BUSINESS = "business", _("Business")
    ANSWERING = "answering", _("Answering")
    SUPERVISING = "supervising", _("Supervising")
    TECHNICAL = "technical", _("Technical")


# Roles that take chats and work orders from the queue.
SEAT_ROLES = frozenset({DeskRole.ANSWERING.value, DeskRole.BUSINESS.value})


class DeskProfile(models.Model):
    """A D小二: level, roles, the region they serve, topics, and how many chats they take at once."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    roles = models.JSONField(_("roles"), default=list)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    topics = models.JSONField(_("topics"), default=list, blank=True,
                              help_text=_("Department or matter codes this person answers for."))
    max_concurrent = models.PositiveSmallIntegerField(_("concurrent chats at most"), default=3)
    available = models.BooleanField(_("available"), default=False)
    working_hours = models.CharField(_("working hours"), max_length=40, default="09:00–21:00")
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("D小二 profile")
        verbose_name_plural = _("D小二 profiles")

    def __str__(self) -> str:
        return str(self.user)

    def has_role(self, role: str) -> bool:
        return role in (self.roles or [])

    @property
    def is_chief(self) -> bool:
        return self.has_role(DeskRole.CHIEF)

    @property
    def is_supervisor(self) -> bool:
        return self.has_role(DeskRole.SUPERVISING) or self.is_chief

    @property
    def takes_seats(self) -> bool:
        return not SEAT_ROLES.isdisjoint(self.roles or [])

    def covers(self, region: Region | None) -> bool:
        """Tell whether an enterprise registered in `region` is in this person's scope."""
        return region is not None and region.path.startswith(self.region.path)


class Dedication(models.Model):
    """An enterprise's dedicated D小二 (一对一专属服务), assigned by its street."""

    enterprise = models.OneToOneField(Enterprise, on_delete=models.CASCADE, related_name="dedication")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dedications")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dedicated D小二")
        verbose_name_plural = _("dedicated D小二")

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.staff}"


class Channel(models.TextChoices):
    CHAT = "chat", _("Online chat")
    WORK_ORDER = "work_order", _("Work order")


class SlaPolicy(models.Model):
    """An SLA as data: limits per channel, the clock they count on, what may pause it, when to warn and escalate."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, unique=True)
    unit = models.CharField(_("clock"), max_length=24, choices=[(u.value, u.value) for u in Unit
                                                                 if u not in (Unit.WORKING_DAYS, Unit.CALENDAR_DAYS)])
    skip_weekends = models.BooleanField(_("working days only"), default=False,
                                        help_text=_("Count service hours on working days (holidays and 调休 as data)."))
    first_response = models.PositiveIntegerField(_("first response within"), default=0, help_text=_("0: no limit"))
    reply = models.PositiveIntegerField(_("each later reply within"), default=0)
    resolution = models.PositiveIntegerField(_("resolution within"), default=0)
    warn_before_seconds = models.PositiveIntegerField(_("warn this many seconds before"), default=60)
    escalate_after = models.PositiveIntegerField(_("escalate to the chief after a further"), default=0)
    pausable = models.JSONField(_("states that pause the clock"), default=list, blank=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return f"{self.channel}: {self.unit}"
