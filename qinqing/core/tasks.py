"""Background work of the core: running the outbox consumers; typing for Huey tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, cast

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from qinqing.core import events

P = ParamSpec("P")


def typed(decorator: Any) -> Callable[[Callable[P, None]], Callable[P, object]]:
    """Keep a task's signature through an (untyped) Huey decorator; calling the task enqueues it."""
    return cast("Callable[[Callable[P, None]], Callable[P, object]]", decorator)


def _consume() -> None:
    # One runner at a time per deployment; the cursor rows would serialise two anyway.
    with HUEY.lock_task("outbox-consumers"):
        events.consume_all()


@typed(db_task(retries=5, retry_delay=2))
def run_consumers() -> None:
    """Bring every outbox consumer up to date (enqueued after each commit that emitted events)."""
    _consume()


@typed(db_periodic_task(crontab(minute="*")))
def sweep_consumers() -> None:
    """Catch up once a minute, whatever enqueueing was lost (a crash between commit and enqueue)."""
    _consume()
