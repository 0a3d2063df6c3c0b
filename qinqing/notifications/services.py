"""notify(...): write the inbox row in the caller's transaction, deliver outside after commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from qinqing.core import events
from qinqing.notifications.models import Delivery, Notification
from qinqing.notifications.texts import Text


def notify(*, recipient: Any, kind: str, title: str | Text, body: str | Text = "", link: str = "") -> Notification:
    """Put a message in the recipient's inbox and queue its SMS/e-mail copies.

    Give `title` and `body` as `Text` (msgid and values) so each reader sees them in their own language;
    the Chinese rendering is stored beside them and is what the SMS and e-mail copies say.
    """
    note = Notification(
        id=events.reserved_id(Notification), recipient=recipient, kind=kind, link=link,
        title=title.in_chinese() if isinstance(title, Text) else title,
        body=body.in_chinese() if isinstance(body, Text) else body,
        title_text=title.as_json() if isinstance(title, Text) else {},
        body_text=body.as_json() if isinstance(body, Text) else {},
    )
    events.insert([note])  # at once, or with the service's other rows (`events.reserve_ids`)
    deliveries = []
    phone = getattr(recipient, "phone", "")
    email = getattr(recipient, "email", "")
    if phone:
        deliveries.append(Delivery(notification=note, channel=Delivery.Channel.SMS, address=phone))
    if email:
        deliveries.append(Delivery(notification=note, channel=Delivery.Channel.EMAIL, address=email))
    if deliveries:
        events.insert(deliveries)
        from qinqing.notifications.tasks import wake_sender

        # The pending Delivery rows, in the platform's own database, are the queue; after commit
        # the sender is woken at most once per half second per process (Redis under REDIS_URL).
        transaction.on_commit(lambda: wake_sender(note.pk))
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
