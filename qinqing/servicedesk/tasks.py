"""Background work of the desk: a precise timer at each deadline, and a sweep every minute as a safety net."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from qinqing.core.tasks import typed

log = logging.getLogger(__name__)


def schedule_check(kind: str, item_id: int, at: dt.datetime, *, warn_before: int = 0) -> None:
    """After commit, have the worker check an item at its deadline (and at its warning) to the second."""
    if HUEY.immediate:
        return  # tests and one-process runs: the sweep (or a direct call) does it
    task: Any = check_deadline

    def enqueue() -> None:
        task.schedule((kind, item_id), eta=at)
        if warn_before:
            task.schedule((kind, item_id), eta=at - dt.timedelta(seconds=warn_before))

    transaction.on_commit(enqueue)


@typed(db_task())
def check_deadline(kind: str, item_id: int) -> None:
    """Warn, escalate at the breach, or escalate to the chief: whatever is due for this item now."""
    from qinqing.servicedesk.models import Conversation, WorkOrder
    from qinqing.servicedesk.services.sla import check_item

    model = Conversation if kind == "conversation" else WorkOrder
    item = model.objects.filter(pk=item_id).first()
    if item is not None:
        check_item(item)


@typed(db_periodic_task(crontab(minute="*")))
def sweep_deadlines() -> None:
    """Catch every deadline a lost timer missed (a restart, a full queue)."""
    from qinqing.servicedesk.services.sla import sweep

    done = sweep()
    if any(k != "idle" for k in done):
        log.info("desk sweep: %s", done)
