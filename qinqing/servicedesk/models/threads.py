"""What the desk works on: chats with their messages, and work orders."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Enterprise
from qinqing.accounts.scope import Owner, scope_of
from qinqing.regions.models import Region
from qinqing.servicedesk.workflow import ChatStatus, OrderStatus, Stage


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
