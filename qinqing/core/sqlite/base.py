"""SQLite with one writer at a time per process, in arrival order.

SQLite allows one writer. With `BEGIN IMMEDIATE` every other writer gets SQLITE_BUSY and polls through the
busy handler, which sleeps in growing steps: under 8 concurrent clients a few of them lose the race again
and again and wait seconds (the p99 of docs/performance.md). Here a writer first takes its place in a
first-in-first-out queue shared by the process's connections to the same file, then begins; the next in
line is woken the moment the transaction commits or rolls back. Writers in other processes (the task
worker) still meet SQLite's own lock and busy handler; inside a process nobody polls.

Across processes (the web server and the task worker) the turn-holder also takes an exclusive `flock` on
`<database>.writer-lock`: a writer of another process sleeps in the kernel and wakes when the lock is
released, instead of polling SQLite's lock.

A writer that waits longer than the connection's timeout for its in-process turn goes ahead without it
(SQLite's busy handler then decides), so a stuck transaction can slow the others but never deadlock them.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import Any

from django.db.backends.sqlite3 import base

try:
    import fcntl
except ImportError:  # pragma: no cover - not Linux: the in-process queue alone
    fcntl = None  # type: ignore[assignment]


class WriterQueue:
    """A first-in-first-out lock: `acquire` waits its turn (or gives up after `timeout`), `release` hands
    the lock straight to the next waiter."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiting:
                self._held = True
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn in self._waiting:  # still waiting: leave the queue and go without a turn
                self._waiting.remove(turn)
                return False
        return True  # handed the lock between the timeout and the mutex

    def release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()  # ownership passes on; _held stays True
            else:
                self._held = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)


_queues: dict[str, WriterQueue] = {}
_lock_files: dict[str, int] = {}
_queues_mutex = threading.Lock()


def queue_for(name: str) -> WriterQueue:
    with _queues_mutex:
        return _queues.setdefault(name, WriterQueue())


def _lock_file(name: str) -> int | None:
    """One open lock file per database per process (a flock is held by the open file, not the thread)."""
    if fcntl is None:
        return None
    with _queues_mutex:
        if name not in _lock_files:
            _lock_files[name] = os.open(f"{name}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
        return _lock_files[name]


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_turn = False

    def _writer_queue(self) -> WriterQueue | None:
        if getattr(self, "transaction_mode", None) != "IMMEDIATE" or self.is_in_memory_db():
            return None  # a deferred transaction may only read; an in-memory database has one connection
        return queue_for(str(self.settings_dict["NAME"]))

    def _start_transaction_under_autocommit(self) -> None:
        queue = self._writer_queue()
        if queue is not None and not self._writer_turn:
            timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 20))
            self._writer_turn = queue.acquire(timeout)
            lock = _lock_file(str(self.settings_dict["NAME"])) if self._writer_turn else None
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)  # other processes' writers: wait in the kernel
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self) -> None:
        if self._writer_turn:
            self._writer_turn = False
            name = str(self.settings_dict["NAME"])
            lock = _lock_file(name)
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)
            queue_for(name).release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._end_turn()
