"""The in-app inbox and the delivery log of outside channels (e-mail, SMS)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, reader: object) -> NotificationQuerySet:
        """A notification is read by its recipient only: a user, or a scope naming its `user_id`.

        Keyed on the recipient alone, so this app stays below accounts (and the scope ladder).
        """
        if not getattr(reader, "is_authenticated", False):
            return self.none()
        recipient_id = getattr(reader, "user_id", None) or getattr(reader, "pk", None)
        if recipient_id is None:
            return self.none()
        return self.filter(recipient_id=recipient_id)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message in a user's inbox."""

    class Kind(models.TextChoices):
        CASE_RECEIVED = "case_received", _("Case received")
        DECISION = "decision", _("Decision")
        SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
        LICENCE_ISSUED = "licence_issued", _("Licence issued")
        CASE_ASSIGNED = "case_assigned", _("New case in queue")
        POLICY = "policy", _("Policy for you")
        PAYOUT = "payout", _("Payout")

    # Indexed by (recipient, read_at), whose first column it is: one index entry less per notification.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  db_index=False)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # The same title and body stored without their language (`texts.Text.as_json()`), rendered per reader.
    title_text = models.JSONField(default=dict, blank=True)
    body_text = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the reader's language (the stored Chinese text when it was stored without a msgid)."""
        from qinqing.notifications.texts import render

        return render(self.title_text) if self.title_text else self.title

    @property
    def display_body(self) -> str:
        from qinqing.notifications.texts import render

        return render(self.body_text) if self.body_text else self.body


class Delivery(models.Model):
    """One attempt chain to send a notification through an outside channel."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=200)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}: {self.status}"
