"""Create a row once per idempotency key: a repeat, even a racing one, replays the first."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from django.db import IntegrityError, transaction

T = TypeVar("T")


def once(*, lookup: Callable[[], T | None], create: Callable[[], T], replay: Callable[[T], T],
         atomic: Callable[[], AbstractContextManager[object]] = transaction.atomic,
         lookup_first: bool = True, replay_on: tuple[type[Exception], ...] = ()) -> tuple[T, bool]:
    """Return (row, created): replay the row `lookup` finds, else create one.

    `create` runs in `atomic()` (a service passes `events.atomic`; by default a transaction, or a
    savepoint inside the caller's) and must write the row
    that carries the unique key. When a concurrent request wins the race, the unique constraint
    raises IntegrityError: the savepoint is rolled back, the winner's row is looked up again and
    replayed. Without a row to replay the IntegrityError propagates. `replay` may refuse (raise),
    e.g. when the key was first used for a different request.

    With `lookup_first=False` the common case, a new key, costs no lookup: a repeat is found when
    `create` fails, on the unique constraint or on one of the `replay_on` errors (a refusal the
    first request's own row causes, e.g. "you already applied"); without a row to replay, the
    error propagates.
    """
    if lookup_first:
        existing = lookup()
        if existing is not None:
            return replay(existing), False
    try:
        with atomic():
            return create(), True
    except (IntegrityError, *replay_on):  # type: ignore[misc]  # a tuple of exception classes
        existing = lookup()
        if existing is None:
            raise
        return replay(existing), False
