"""notify(...): write the inbox row in the caller's transaction, deliver outside after commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from qinqing.notifications.models import Delivery, Notification


def notify(*, recipient: Any, kind: str, title: str, body: str = "", link: str = "") -> Notification:
    """Put a message in the recipient's inbox and queue its SMS/e-mail copies."""
    note = Notification.objects.create(recipient=recipient, kind=kind, title=title, body=body, link=link)
    deliveries = []
    phone = getattr(recipient, "phone", "")
    email = getattr(recipient, "email", "")
    if phone:
        deliveries.append(Delivery(notification=note, channel=Delivery.Channel.SMS, address=phone))
    if email:
        deliveries.append(Delivery(notification=note, channel=Delivery.Channel.EMAIL, address=email))
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        from qinqing.notifications.tasks import deliver_notification

        transaction.on_commit(lambda: deliver_notification(note.pk))
    return note


def mark_read(*, notification: Notification) -> Notification:
    """Mark one inbox message read."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def deliver(*, delivery: Delivery) -> Delivery:
    """Send one pending delivery through its backend, recording the outcome."""
    from qinqing.notifications.backends import backend_for

    if delivery.status == Delivery.Status.SENT:
        return delivery
    delivery.attempts += 1
    try:
        backend_for(delivery.channel).send(
            address=delivery.address, title=delivery.notification.title, body=delivery.notification.body
        )
    except Exception as exc:  # the outside world fails in ways we cannot enumerate
        delivery.status = Delivery.Status.FAILED
        delivery.last_error = str(exc)[:2000]
        delivery.save(update_fields=["attempts", "status", "last_error"])
        raise
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = timezone.now()
    delivery.last_error = ""
    delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return delivery
