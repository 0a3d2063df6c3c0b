"""Statuses of conversations and work orders, and the one table of allowed transitions each."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChatStatus(models.TextChoices):
    ASSISTANT = "assistant", _("With the assistant")
    WAITING = "waiting", _("Waiting for a D小二")
    ACTIVE = "active", _("With a D小二")
    CLOSED = "closed", _("Closed")


CHAT_TRANSITIONS: dict[str, set[str]] = {
    ChatStatus.ASSISTANT: {ChatStatus.WAITING, ChatStatus.CLOSED},
    ChatStatus.WAITING: {ChatStatus.ACTIVE, ChatStatus.CLOSED},
    ChatStatus.ACTIVE: {ChatStatus.WAITING, ChatStatus.CLOSED},
    ChatStatus.CLOSED: set(),
}


class OrderStatus(models.TextChoices):
    OPEN = "open", _("Waiting to be taken")
    TAKEN = "taken", _("Being handled")
    WAITING_ENTERPRISE = "waiting_enterprise", _("Waiting for the enterprise")
    RESOLVED = "resolved", _("Resolved")


ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.OPEN: {OrderStatus.TAKEN, OrderStatus.RESOLVED},
    OrderStatus.TAKEN: {OrderStatus.WAITING_ENTERPRISE, OrderStatus.RESOLVED, OrderStatus.OPEN},
    OrderStatus.WAITING_ENTERPRISE: {OrderStatus.TAKEN, OrderStatus.RESOLVED},
    OrderStatus.RESOLVED: set(),
}


class Stage(models.TextChoices):
    """The steps of a rectification after a bad rating (闭环评价): each visible to the enterprise."""

    VERIFY = "verify", _("Verifying the complaint")
    FIX = "fix", _("Fixing the problem")
    CALL_BACK = "call_back", _("Calling the enterprise back")
    SECOND_RATING = "second_rating", _("Waiting for the second rating")


STAGE_ORDER = (Stage.VERIFY, Stage.FIX, Stage.CALL_BACK, Stage.SECOND_RATING)

OPEN_CHAT = (ChatStatus.ASSISTANT, ChatStatus.WAITING, ChatStatus.ACTIVE)
HUMAN_CHAT = (ChatStatus.WAITING, ChatStatus.ACTIVE)
OPEN_ORDER = (OrderStatus.OPEN, OrderStatus.TAKEN, OrderStatus.WAITING_ENTERPRISE)


def can_chat(current: str, target: str) -> bool:
    return target in CHAT_TRANSITIONS.get(current, set())


def can_order(current: str, target: str) -> bool:
    return target in ORDER_TRANSITIONS.get(current, set())
