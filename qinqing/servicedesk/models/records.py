"""What happens to a chat or work order: hand-overs, pauses, escalations, evaluations, steps, attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Enterprise
from qinqing.servicedesk.models.threads import Conversation, Message, WorkOrder


class Subjected(models.Model):
    """A row about either a conversation or a work order (exactly one)."""

    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="%(class)ss")
    work_order = models.ForeignKey(WorkOrder, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="%(class)ss")

    class Meta:
        abstract = True

    @property
    def subject(self) -> Conversation | WorkOrder:
        item = self.conversation or self.work_order
        assert item is not None
        return item


class Handover(Subjected):
    """An explicit hand-over: the owner stays accountable until the receiver accepts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the receiver")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")

    def __str__(self) -> str:
        return f"{self.from_user} → {self.to_user}"


class Pause(Subjected):
    """A stretch during which an item's clock stood still, in a state its policy allows."""

    state = models.CharField(max_length=24)
    reason = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.state} {self.started_at:%Y-%m-%d %H:%M}"


class Escalation(Subjected):
    """督办: a breach (level 1 to the supervising staff, level 2 to the chief) or an urge (催办)."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning before the deadline")
        BREACH = "breach", _("Deadline missed")
        URGE = "urge", _("Urged by a supervisor")
        MANUAL = "manual", _("Escalated by the owner")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(default=0)
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                           related_name="+")
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.level}"


class Rating(models.TextChoices):
    """The five official levels."""

    VERY_SATISFIED = "very_satisfied", _("非常满意")
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically_satisfied", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")
    VERY_DISSATISFIED = "very_dissatisfied", _("非常不满意")


BAD_RATINGS = frozenset({Rating.DISSATISFIED.value, Rating.VERY_DISSATISFIED.value})
SUB_INDICATORS = ("speed", "attitude", "professionalism", "result")


class Evaluation(Subjected):
    """One rating per closure of a conversation or work order."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closure = models.PositiveIntegerField()
    level = models.CharField(_("rating"), max_length=24, choices=Rating.choices)
    indicators = models.JSONField(default=dict, blank=True)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", help_text=_("The owner rated."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "closure"], condition=Q(conversation__isnull=False),
                                    name="evaluation_once_per_chat_closure"),
            models.UniqueConstraint(fields=["work_order", "closure"], condition=Q(work_order__isnull=False),
                                    name="evaluation_once_per_order_closure"),
        ]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self) -> str:
        return f"{self.level} #{self.pk}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_RATINGS


class Step(Subjected):
    """A line of an item's timeline that the enterprise sees (taken, handed over, rectification steps…)."""

    action = models.CharField(max_length=32)
    note = models.CharField(max_length=1000, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.action


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Stored names never come from the user: no traversal, no collisions.
    return f"desk/{timezone.now():%Y/%m}/{instance.stored_name}"


class Attachment(Subjected):
    """A file sent in a chat or added to a work order, checked by content as case uploads are."""

    message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="attachment")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    stored_name = models.CharField(max_length=64)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name
