"""The service desk (亲清D小二): staff profiles, chats, work orders, SLA policies, hand-overs, ratings."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Enterprise
from qinqing.accounts.scope import Owner, scope_of
from qinqing.core.clock import Unit
from qinqing.regions.models import Region
from qinqing.servicedesk.workflow import ChatStatus, OrderStatus, Stage


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


class DeskQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: object) -> Any:
        """Scope by the one ladder, plus what a D小二 serves: its region's enterprises and what it owns or receives."""
        scope = scope_of(user)
        # An agent acts for an enterprise on its 一件事, not in its conversations with the desk.
        scope = dataclasses.replace(scope, roles=scope.roles - {"agent"}, agent_grants=())
        staff = Q(pk__in=[])
        desk = getattr(user, "desk", None) if scope.is_staff_member else None
        if desk is not None:
            staff = Q(region__path__startswith=desk.region.path)
        if scope.is_staff_member and scope.user_id is not None:
            staff |= Q(owner_id=scope.user_id) | Q(assignee_id=scope.user_id)
            staff |= Q(handovers__to_user_id=scope.user_id, handovers__status="pending")
        return self.filter(scope.q(Owner(enterprise="enterprise_id", regional=True, staff=staff))).distinct()


class Tracked(models.Model):
    """What a chat and a work order share: enterprise, owner (首问责任), assignee, clock and escalation."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", help_text=_("The first staff member who took it (首问责任)."))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    escalation = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalate_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closures = models.PositiveIntegerField(default=0)

    objects = DeskQuerySet.as_manager()

    class Meta:
        abstract = True


class Conversation(Tracked):
    """One chat: the assistant first, then a D小二; messages carry a per-conversation sequence."""

    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=ChatStatus.choices, default=ChatStatus.ASSISTANT)
    context_kind = models.CharField(max_length=16, blank=True)  # matter | case | policy | bundle
    context_key = models.CharField(max_length=64, blank=True)
    context_title = models.CharField(max_length=200, blank=True)
    topic = models.CharField(max_length=32, blank=True, help_text=_("Department code used for routing."))
    handed_over_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="conv_status_due")]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return f"#{self.pk} {self.enterprise}"


class Message(models.Model):
    class Author(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        ASSISTANT = "assistant", _("Assistant")
        STAFF = "staff", _("D小二")
        SYSTEM = "system", _("System")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    author_kind = models.CharField(max_length=16, choices=Author.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    text = models.TextField()
    citations = models.JSONField(default=list, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(fields=["conversation", "client_id"], condition=~Q(client_id=""),
                                    name="message_client_id_unique"),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"


class WorkOrder(Tracked):
    """An offline request (留言), an appeal (诉求), a case question, or a rectification after a bad rating."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message left")
        APPEAL = "appeal", _("Appeal")
        CASE = "case", _("About a case")
        RECTIFICATION = "rectification", _("Rectification")
        VISIT = "visit", _("Visit")

    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=24, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="work_orders")
    rectifies = models.ForeignKey("Evaluation", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="rectifications")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)
    case_number = models.CharField(max_length=32, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="order_status_due")]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")

    def __str__(self) -> str:
        return self.number


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
