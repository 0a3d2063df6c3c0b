"""Background work of the core: running the outbox consumers."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from qinqing.core import events


@db_task()
@lock_task("outbox-consumers")
def run_consumers() -> None:
    """Bring every outbox consumer up to date (enqueued after each commit that emitted events)."""
    events.consume_all()


@db_periodic_task(crontab(minute="*"))
def sweep_consumers() -> None:
    """Catch up once a minute, whatever enqueueing was lost (a crash between commit and enqueue)."""
    run_consumers.call_local()
