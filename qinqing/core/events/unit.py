"""The service transaction: emitted events dispatched, outbox rows written, buffers flushed at its end."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from qinqing.core.events import together
from qinqing.core.events.registry import flows
from qinqing.core.events.types import DomainEvent

log = logging.getLogger(__name__)

# A cascade of events that has not settled after this many is a loop between subscribers.
MAX_EVENTS_PER_TRANSACTION = 10_000
# Outbox rows written with COPY instead of INSERT on PostgreSQL when a transaction has more than this many.
COPY_ABOVE = 200


class _UnitOfWork:
    """What the outermost service transaction collects: events to dispatch, buffers to flush."""

    def __init__(self) -> None:
        self.queue: deque[DomainEvent] = deque()
        self.outbox: list[tuple[DomainEvent, dt.datetime]] = []
        self.buffers: dict[str, list[Any]] = {}
        self.flushers: dict[str, Callable[[list[Any]], None]] = {}
        self.written_early = False  # outbox rows written before the end (`write_many`): consumers to kick
        # Rows held back to the end (`insert`, after `reserve_ids`): written with the outbox in one statement.
        self.ids: dict[type[Model], list[int]] | None = None
        self.rows: list[Model] = []

    def drain(self) -> None:
        registry = flows()
        dispatched = 0
        while self.queue:
            event = self.queue.popleft()
            dispatched += 1
            if dispatched > MAX_EVENTS_PER_TRANSACTION:
                raise RuntimeError(f"events did not settle after {MAX_EVENTS_PER_TRANSACTION}: a subscriber loop?")
            for subscriber in registry.subscribers_of(event):
                subscriber(event)

    def flush(self) -> None:
        if self.ids is None:
            if self.outbox:
                _write_outbox(self.outbox)
            self._run_flushers()
            return
        # The held-back rows' part of the statement is built before the flushers run: the audit chain's flusher
        # takes its stream's lock, held to commit, so only its own rows are built under it.
        early = _members(self.rows)
        self.rows = []
        self._run_flushers()  # the audit chain's rows join the held-back rows
        _write_together(self.rows, self.outbox, early)
        self.rows = []

    def _run_flushers(self) -> None:
        for key, flusher in self.flushers.items():
            items = self.buffers.pop(key, [])
            if items:
                flusher(items)


_current: contextvars.ContextVar[_UnitOfWork | None] = contextvars.ContextVar("qinqing_unit_of_work", default=None)


@contextlib.contextmanager
def atomic() -> Iterator[None]:
    """The transaction of a service: emitted events are dispatched and buffers flushed at its end.

    Nested use joins the outermost block: only the outermost block drains the
    queue, so every subscriber runs once the whole change is in place, and its writes commit with
    it. Events emitted inside a nested block that raises are dropped with it.
    """
    unit = _current.get()
    if unit is not None:
        # Join the outer transaction without a savepoint: services do not catch each other's
        # errors, and an error inside marks the whole transaction for rollback.
        queued, written = len(unit.queue), len(unit.outbox)
        try:
            with transaction.atomic(savepoint=False):
                yield
        except BaseException:
            del unit.outbox[written:]
            while len(unit.queue) > queued:
                unit.queue.pop()
            raise
        return
    unit = _UnitOfWork()
    token = _current.set(unit)
    try:
        with transaction.atomic():
            yield
            unit.drain()
            unit.flush()
            if unit.outbox or unit.written_early:
                transaction.on_commit(_kick_consumers)
    finally:
        _current.reset(token)


def in_service() -> bool:
    """Whether an `atomic()` block is open in this thread or task."""
    return _current.get() is not None


def buffer(key: str, flush: Callable[[list[Any]], None]) -> list[Any] | None:
    """A list that is handed to `flush` at the end of the current `atomic()` block, or None outside one.

    Lets a lower app batch work to the end of a long transaction (the audit chain takes its
    lock for the last statements only, not the whole cascade).
    """
    unit = _current.get()
    if unit is None:
        return None
    unit.flushers.setdefault(key, flush)
    return unit.buffers.setdefault(key, [])


def emit(event: DomainEvent) -> None:
    """Record an event for the outbox and queue it for the subscribers, inside the current service transaction."""
    emit_many([event])


def emit_many(events: Sequence[DomainEvent]) -> None:
    """Record several events (a bulk import's changes); the outbox rows are written with one INSERT at the end."""
    unit = _current.get()
    if unit is None or not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit() must run inside events.atomic(), the service's transaction")
    now = timezone.now()
    unit.outbox.extend((e, now) for e in events)
    registry = flows()
    unit.queue.extend(e for e in events if registry.subscribers_of(e))


def write_many(events: Sequence[DomainEvent]) -> None:
    """Write events to the outbox now, inside the current service transaction (they commit or roll back with it).

    For an import of millions of rows: `emit_many` holds its events until the end of the transaction, this
    writes each batch at once, so memory stays bounded by the batch. Events that have in-process subscribers
    are still queued for them.
    """
    unit = _current.get()
    if unit is None or not transaction.get_connection().in_atomic_block:
        raise RuntimeError("write_many() must run inside events.atomic(), the service's transaction")
    if not events:
        return
    now = timezone.now()
    _write_outbox([(e, now) for e in events])
    unit.written_early = True
    registry = flows()
    unit.queue.extend(e for e in events if registry.subscribers_of(e))


def written_in_sql(event_type: type[DomainEvent]) -> None:
    """Say that outbox rows of `event_type` were written by set-based SQL in the current service transaction.

    For a province-scale import (`INSERT … SELECT` into the outbox): consumers are kicked after the commit as
    for `write_many`. Refused when the type has in-process subscribers, which need the events in memory.
    """
    unit = _current.get()
    if unit is None or not transaction.get_connection().in_atomic_block:
        raise RuntimeError("written_in_sql() must run inside events.atomic(), the service's transaction")
    if flows().subscribers.get(event_type):
        raise RuntimeError(f"{event_type.__name__} has in-process subscribers: write it with write_many()")
    unit.written_early = True


def reserve_ids(counts: Mapping[type[Model], int]) -> bool:
    """Draw primary keys now for rows a service will `insert` (PostgreSQL: one statement); False elsewhere.

    After a reservation the current service transaction holds its inserted rows back to its end and
    writes them, with its outbox rows and its audit records, in one statement (a data-modifying
    CTE): a 秒办 decision's case, materials, licence, notification, deliveries and timeline cost one
    round trip instead of one each. Only a service that reads none of these rows back before its end
    may reserve. On SQLite nothing is reserved and `insert` writes at once, as the ORM always did.
    """
    unit = _current.get()
    if unit is None or not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve_ids() must run inside events.atomic(), the service's transaction")
    if connection.vendor != "postgresql":
        return False
    wanted = [(model, n) for model, n in counts.items() if n > 0]
    parts: list[str] = []
    params: list[Any] = []
    for index, (model, n) in enumerate(wanted):
        parts.append("SELECT %s, nextval(pg_get_serial_sequence(%s, %s)), NULL FROM generate_series(1, %s)")
        params += [index, model._meta.db_table, model._meta.pk.column, n]
    ids: dict[type[Model], list[int]] = {model: [] for model, _n in wanted}
    if parts:
        with connection.cursor() as cursor:
            # The same round trip tells which of our statements this session still has prepared: a pooler's
            # reset (DISCARD ALL) or a DEALLOCATE behind our back is seen here, before the EXECUTE would fail.
            checked = together.prepare_enabled()
            if checked:
                parts.append(together.PREPARED_NAMES_SQL)
            cursor.execute(" UNION ALL ".join(parts), params)
            for index, value, names in cursor.fetchall():
                if index < 0:
                    together.still_prepared(names)
                else:
                    ids[wanted[index][0]].append(int(value))
    if unit.ids is None:
        unit.ids = {}
    for model, values in ids.items():
        unit.ids.setdefault(model, []).extend(values)
    return True


def reserved_id(model: type[Model]) -> int | None:
    """A primary key `reserve_ids` drew for `model` in the current service transaction, or None."""
    unit = _current.get()
    if unit is None or unit.ids is None or not unit.ids.get(model):
        return None
    return unit.ids[model].pop(0)


def insert(objs: Sequence[Model]) -> None:
    """INSERT new rows of one model: at once, or held back to the transaction's end after `reserve_ids`.

    Held back, a row without a primary key gets one from the database and never learns it: give a
    reserved key (`reserved_id`) to every row whose key anything needs (links, events, the answer).
    """
    if not objs:
        return
    unit = _current.get()
    if unit is not None and unit.ids is not None:
        unit.rows.extend(objs)
        for obj in objs:
            obj._state.adding, obj._state.db = False, connection.alias
        return
    type(objs[0])._default_manager.bulk_create(list(objs))


def _members(rows: list[Model]) -> tuple[list[str], list[Any], list[Any]]:
    """The INSERT members of these rows (one per model, with or without keys): texts, parameters, shape keys."""
    groups: dict[tuple[type[Model], bool], list[Model]] = {}
    for obj in rows:
        groups.setdefault((type(obj), obj.pk is not None), []).append(obj)
    parts: list[str] = []
    params: list[Any] = []
    keys: list[Any] = []
    for objs in groups.values():
        sql, values, key = together.member(objs)
        parts.append(sql)
        params += values
        keys.append(key)
    return parts, params, keys


def _write_together(rows: list[Model], outbox: list[tuple[DomainEvent, dt.datetime]],
                    early: tuple[list[str], list[Any], list[Any]] | None = None) -> None:
    """The held-back rows and the outbox rows as one statement: every INSERT a member of one WITH.

    `early`: the members of the rows held back before these (built earlier, `_members`), which come first.
    Its text is kept per shape and, on PostgreSQL, prepared once per connection (`together`).
    """
    parts, params, keys = ([*early[0]], [*early[1]], [*early[2]]) if early else ([], [], [])
    late = _members(rows)
    parts += late[0]
    params += late[1]
    keys += late[2]
    if outbox and len(outbox) <= COPY_ABOVE:
        for sql, values in _outbox_statements(outbox):
            parts.append(sql)
            params += values
            keys.append(("outbox", len(values)))
    elif outbox:
        _write_outbox(outbox)
    if not parts:
        return
    kept = together.statement(parts, None if None in keys else (connection.vendor, *keys))
    together.execute(kept, params)


def _outbox_statements(rows: list[tuple[DomainEvent, dt.datetime]]) -> list[tuple[str, list[Any]]]:
    """The outbox rows as multi-row INSERTs of 1,000 rows each (see `_write_outbox`)."""
    from qinqing.core.models import OutboxEvent

    table = connection.ops.quote_name(OutboxEvent._meta.db_table)
    if connection.vendor == "postgresql":
        one = "(pg_current_xact_id()::text::bigint, %s, %s, %s::jsonb, %s, %s, %s)"
    else:
        one = "(0, %s, %s, %s, %s, %s, %s)"
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        (e.NAME, e.VERSION, json.dumps(e.payload(), ensure_ascii=False, cls=DjangoJSONEncoder),
         e.enterprise, e.region, adapt(at))
        for e, at in rows
    ]
    out = []
    for start in range(0, len(params), 1000):
        chunk = params[start:start + 1000]
        out.append((f"INSERT INTO {table} (txid, name, version, payload, enterprise, region, occurred_at) "  # noqa: S608
                    f"VALUES {', '.join([one] * len(chunk))}", [value for row in chunk for value in row]))
    return out


def _write_outbox(rows: list[tuple[DomainEvent, dt.datetime]]) -> None:
    """INSERT the rows as multi-row statements (1,000 rows each): a decision's events cost one round trip,
    a bulk import's 100,000 events no model instances; above `COPY_ABOVE` rows on PostgreSQL, COPY.

    On PostgreSQL each row takes the writing transaction's id from `pg_current_xact_id()` in the same
    statement; on SQLite the id is 0 (one writer at a time makes `seq` the commit order).
    """
    from qinqing.core.models import OutboxEvent

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) > COPY_ABOVE:
            # A bulk import's events: COPY costs a fifth of an executemany INSERT per row.
            table = connection.ops.quote_name(OutboxEvent._meta.db_table)
            adapt = connection.ops.adapt_datetimefield_value
            txid = _transaction_id()
            columns = "txid, name, version, payload, enterprise, region, occurred_at"
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for e, at in rows:
                    copy.write_row((txid, e.NAME, e.VERSION,
                                    json.dumps(e.payload(), ensure_ascii=False, cls=DjangoJSONEncoder),
                                    e.enterprise, e.region, adapt(at)))
            return
        for sql, values in _outbox_statements(rows):
            cursor.execute(sql, values)


def _transaction_id() -> int:
    """The writing transaction's id on PostgreSQL (for COPY, which cannot compute it per row)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        row = cursor.fetchone()
    return int(row[0])


def _kick_consumers() -> None:
    """After a commit that emitted events, ask the task queue to run the consumers."""
    if not flows().consumers:
        return
    try:
        from qinqing.core.tasks import kick

        kick()
    except Exception:  # the periodic sweep catches up; a commit never fails for this
        log.exception("could not enqueue the outbox consumers")
