"""Background delivery of outside copies, with retries; failures stay visible and re-sendable."""

from __future__ import annotations

import time
from typing import Any

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from qinqing.core.tasks import typed
from qinqing.notifications.models import Delivery
from qinqing.notifications.services import deliver


@typed(db_task(retries=3, retry_delay=30))
def deliver_notification(notification_id: int) -> None:
    """Send every pending copy of one notification."""
    failed = False
    for delivery in Delivery.objects.select_related("notification").filter(
        notification_id=notification_id
    ).exclude(status=Delivery.Status.SENT):
        try:
            deliver(delivery=delivery)
        except Exception:
            failed = True
    if failed:
        raise RuntimeError(f"some deliveries of notification {notification_id} failed")


_PENDING = "deliveries-pending"
DELAY = 0.5  # a run starts this long after the first commit that asks, so later commits ride on it
_scheduled_until = 0.0  # monotonic time before which a run this process scheduled cannot have started


def wake_sender(notification_id: int) -> None:
    """After a commit that queued SMS/e-mail copies: have `send_pending` run soon, unless a run is already waiting.

    The copies are rows (`Delivery`, status pending) written in the notifying transaction; this
    only schedules the sender. A process that scheduled a run skips even the check until that run
    may start, so a burst of approvals writes to the task queue about twice a second, not per case.
    """
    global _scheduled_until
    if HUEY.immediate:  # no worker (tests, `QINQING_HUEY_IMMEDIATE`): send this notification's copies now
        deliver_notification.call_local(notification_id)  # type: ignore[attr-defined]
        return
    now = time.monotonic()
    if now < _scheduled_until:
        return
    if not HUEY.put_if_empty(_PENDING, "1"):
        return
    task: Any = send_pending
    task.schedule(delay=DELAY)
    _scheduled_until = now + DELAY * 0.9


@typed(db_task(retries=3, retry_delay=30))
def send_pending() -> None:
    """Send every copy still pending, oldest first; one sender at a time per deployment."""
    with HUEY.lock_task("deliveries"):
        HUEY.get(_PENDING)  # from now on a commit schedules the next run: this one may not see it
        while True:
            batch = list(Delivery.objects.select_related("notification")
                         .filter(status=Delivery.Status.PENDING).order_by("pk")[:200])
            for delivery in batch:
                try:
                    deliver(delivery=delivery)
                except Exception:  # noqa: S112 - recorded on the row (failed); the periodic sweep retries it
                    continue
            if len(batch) < 200:
                break


@typed(db_periodic_task(crontab(minute="*/10")))
def retry_failed_deliveries() -> None:
    """Re-send failed deliveries that have attempts left."""
    for delivery in Delivery.objects.select_related("notification").filter(
        status__in=[Delivery.Status.FAILED, Delivery.Status.PENDING], attempts__lt=10
    )[:500]:
        try:
            deliver(delivery=delivery)
        except Exception:  # noqa: S112 - recorded on the row; the next sweep tries again
            continue
