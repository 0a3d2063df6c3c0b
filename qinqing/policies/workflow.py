"""Statuses of policies, entitlements and payouts, and the one table of allowed transitions each."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    AUTOMATIC = "automatic", _("免申即享 granted without application")
    INSTANT = "instant", _("即申即享 paid on claim")
    REVIEWED = "reviewed", _("审核兑付 claim, then review")


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


POLICY_TRANSITIONS: dict[str, set[str]] = {
    PolicyStatus.DRAFT: {PolicyStatus.PUBLISHED, PolicyStatus.CLOSED},
    PolicyStatus.PUBLISHED: {PolicyStatus.PAUSED, PolicyStatus.CLOSED},
    PolicyStatus.PAUSED: {PolicyStatus.PUBLISHED, PolicyStatus.CLOSED},
    PolicyStatus.CLOSED: set(),
}


class EntitlementStatus(models.TextChoices):
    UNDER_REVIEW = "under_review", _("Under review")
    GRANTED = "granted", _("Granted")
    REJECTED = "rejected", _("Rejected")


ENTITLEMENT_TRANSITIONS: dict[str, set[str]] = {
    EntitlementStatus.UNDER_REVIEW: {EntitlementStatus.GRANTED, EntitlementStatus.REJECTED},
    EntitlementStatus.GRANTED: set(),
    EntitlementStatus.REJECTED: set(),
}


class PayoutStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent to the bank")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    REVERSED = "reversed", _("Reversed")


PAYOUT_TRANSITIONS: dict[str, set[str]] = {
    # A failed attempt that may be retried goes back to pending with a later next attempt.
    PayoutStatus.PENDING: {PayoutStatus.PENDING, PayoutStatus.SENT, PayoutStatus.FAILED},
    PayoutStatus.SENT: {PayoutStatus.PAID, PayoutStatus.FAILED},
    PayoutStatus.PAID: {PayoutStatus.REVERSED},
    PayoutStatus.FAILED: set(),
    PayoutStatus.REVERSED: set(),
}


def can_transition(table: dict[str, set[str]], current: str, target: str) -> bool:
    """Tell whether `target` may follow `current` in a transition table."""
    return target in table.get(current, set())
