"""The embedded SQLite backend queues writers in arrival order instead of letting them poll (issue 10 §2)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from qinqing.core.sqlite.base import DatabaseWrapper, WriterQueue, queue_for


def test_writers_take_turns_in_arrival_order():
    queue = WriterQueue()
    assert queue.acquire(timeout=1)
    order: list[int] = []
    threads = []
    for i in range(5):
        def wait_turn(i: int = i) -> None:
            assert queue.acquire(timeout=5)
            order.append(i)
            queue.release()
        thread = threading.Thread(target=wait_turn)
        thread.start()
        threads.append(thread)
        while queue.waiting < i + 1:  # each one queued before the next arrives
            time.sleep(0.001)
    queue.release()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]
    assert queue.acquire(timeout=0), "free again once everyone is done"


def test_a_writer_that_waits_too_long_goes_ahead_without_its_turn_and_leaves_the_queue():
    queue = WriterQueue()
    assert queue.acquire(timeout=1)
    assert queue.acquire(timeout=0.05) is False
    assert queue.waiting == 0
    queue.release()
    assert queue.acquire(timeout=0)


@pytest.fixture
def own_files(django_db_blocker):
    """These tests open their own database files, not the test database."""
    with django_db_blocker.unblock():
        yield


def _wrapper(path: Path, alias: str) -> DatabaseWrapper:
    settings = {**connection.settings_dict, "NAME": str(path), "ENGINE": "qinqing.core.sqlite",
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20}, "TEST": {}}
    return DatabaseWrapper(settings, alias=alias)


def test_concurrent_write_transactions_on_a_file_all_commit_one_at_a_time(tmp_path, own_files):
    path = tmp_path / "queued.sqlite3"
    setup = _wrapper(path, "setup")
    with setup.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE t (writer INTEGER, seq INTEGER)")
    setup.close()
    inside = 0
    most_inside = 0
    errors: list[BaseException] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        nonlocal inside, most_inside
        db = _wrapper(path, f"w{n}")
        try:
            for seq in range(10):
                db.ensure_connection()
                db._start_transaction_under_autocommit()
                with lock:
                    inside += 1
                    most_inside = max(most_inside, inside)
                with db.cursor() as cursor:
                    cursor.execute("INSERT INTO t VALUES (%s, %s)", [n, seq])
                time.sleep(0.001)
                with lock:
                    inside -= 1
                db.commit()
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert most_inside == 1, "one writer inside a transaction at a time"
    check = _wrapper(path, "check")
    with check.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM t")
        assert cursor.fetchone()[0] == 80
    check.close()
    assert queue_for(str(path)).waiting == 0


def test_a_failed_transaction_hands_the_turn_on(tmp_path, own_files):
    path = tmp_path / "rollback.sqlite3"
    first, second = _wrapper(path, "a"), _wrapper(path, "b")
    first.ensure_connection()
    first._start_transaction_under_autocommit()
    first.rollback()
    second.ensure_connection()
    second._start_transaction_under_autocommit()  # would wait 20 s if the rollback kept the turn
    second.commit()
    first.close()
    second.close()
    assert queue_for(str(path)).acquire(timeout=0)
    queue_for(str(path)).release()


def _hold_a_write_transaction(path: str, started: Any, release: Any) -> None:
    from django.db import connections

    connections.close_all()  # the forked child must not share the parent's connections
    db = _wrapper(Path(path), "child")
    db.ensure_connection()
    db._start_transaction_under_autocommit()
    with db.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    started.set()
    release.wait(10)
    db.commit()
    db.close()


def test_a_writer_of_another_process_waits_for_the_lock_file_not_the_busy_handler(tmp_path, own_files):
    import multiprocessing

    path = tmp_path / "processes.sqlite3"
    setup = _wrapper(path, "setup")
    with setup.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    context = multiprocessing.get_context("fork")
    started, release = context.Event(), context.Event()
    child = context.Process(target=_hold_a_write_transaction, args=(str(path), started, release))
    child.start()
    assert started.wait(10)
    db = _wrapper(path, "parent")
    db.ensure_connection()
    db.inc_thread_sharing()  # begun in a thread, checked here
    began = threading.Event()

    def begin() -> None:
        db._start_transaction_under_autocommit()
        began.set()

    thread = threading.Thread(target=begin)
    thread.start()
    assert not began.wait(0.3), "the other process holds the writer lock: this writer waits"
    release.set()
    assert began.wait(10), "and begins as soon as it is released"
    thread.join(5)
    with db.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM t")
        assert cursor.fetchone()[0] == 1, "the other process's row is committed before this writer begins"
    db.commit()
    db.dec_thread_sharing()
    db.close()
    child.join(10)
    assert child.exitcode == 0
