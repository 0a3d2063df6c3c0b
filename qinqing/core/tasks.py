"""Background work of the core: running the outbox consumers; typing for Huey tasks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, ParamSpec, cast

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from qinqing.core import events

P = ParamSpec("P")


def typed(decorator: Any) -> Callable[[Callable[P, None]], Callable[P, object]]:
    """Keep a task's signature through an (untyped) Huey decorator; calling the task enqueues it."""
    return cast("Callable[[Callable[P, None]], Callable[P, object]]", decorator)


_PENDING = "outbox-consumers-pending"
# A run starts this long after the first commit that asks for it, so that the commits of the next
# half second ride on it instead of each writing to the queue.
DELAY = 0.5
_scheduled_until = 0.0  # monotonic time before which a run this process scheduled cannot have started


def kick() -> None:
    """Have the consumers run soon: schedule a run unless one is already waiting to start.

    Called after every commit that wrote events. A waiting run reads everything committed before it
    starts, so one is enough however many commits ask; the queue never fills with duplicates, and a
    process that scheduled a run skips even the check until that run may start.
    """
    global _scheduled_until
    if HUEY.immediate:
        _run_now()
        return
    now = time.monotonic()
    if now < _scheduled_until:
        return
    if not HUEY.put_if_empty(_PENDING, "1"):
        return
    task: Any = run_consumers
    task.schedule(delay=DELAY)
    _scheduled_until = now + DELAY * 0.9


_now = threading.Lock()
_again = False


def _run_now() -> None:
    """Run the consumers in this process now (an immediate queue: tests, `serve` without a worker).

    A commit made by a consumer while a run is going on (a consumer emitting events) asks that run to go
    round once more, instead of a nested run that would find the lock taken and leave a marker behind
    that keeps every later commit from running the consumers.
    """
    global _again
    _again = True
    while _again:
        if not _now.acquire(blocking=False):
            return  # the run going on sees `_again` and goes round once more
        try:
            _again = False
            events.consume_all()
        finally:
            _now.release()


def _consume() -> None:
    # One runner at a time per deployment; the cursor rows would serialise two anyway.
    with HUEY.lock_task("outbox-consumers"):
        HUEY.get(_PENDING)  # from now on a commit enqueues the next run: this one may not see it
        events.consume_all()


@typed(db_task(retries=30, retry_delay=1))
def run_consumers() -> None:
    """Bring every outbox consumer up to date (enqueued by `kick`; waits its turn if a run is going on)."""
    _consume()


@typed(db_periodic_task(crontab(minute="*")))
def sweep_consumers() -> None:
    """Catch up once a minute, whatever enqueueing was lost (a crash between commit and enqueue)."""
    _consume()
