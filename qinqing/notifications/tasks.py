"""Background delivery of outside copies, with retries; failures stay visible and re-sendable."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

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
