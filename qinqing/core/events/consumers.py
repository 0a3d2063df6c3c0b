"""Asynchronous consumers: read the outbox by a stored cursor, apply each event exactly once."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from qinqing.core.events.registry import Stored, flows
from qinqing.core.events.types import EVENT_TYPES, DomainEvent

# Below the oldest transaction still running that may write to this database (no limit when none is):
# every transaction with a smaller id has finished or can never write here. Evaluated inside the reading
# statement, on its snapshot. Transaction ids are cluster-wide, but a backend is connected to one database
# for its whole life, so a transaction positively seen running in a backend of another database is
# left out; anything not seen that way (a prepared transaction, a subtransaction's id, a backend whose
# row this role may not read, a transaction that ended between the snapshot and the look) still holds
# the horizon back, which is only ever slower, never wrong. `backend_xid` is the 32-bit form of the id.
_HORIZON = (
    "COALESCE((SELECT min(x)::text::bigint FROM pg_snapshot_xip(pg_current_snapshot()) AS x"
    " WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a"
    " WHERE a.backend_xid IS NOT NULL AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND a.backend_xid::text::bigint = mod(x::text::bigint, 4294967296))), "
    "9223372036854775807)")


def _after(txid: int, seq: int) -> Any:
    """The outbox rows after a position, as one row comparison `(txid, seq) > (%s, %s)`.

    The index `outbox_position (txid, seq)` answers it as a range: the read starts at the cursor. The same
    condition written `txid > %s OR (txid = %s AND seq > %s)` is not an index condition on PostgreSQL: the
    scan started at the head of the outbox and filtered out every event already consumed, a cost growing
    with the outbox (64 ms for 4,000 events behind 60,000 consumed ones, against 1 ms). (SQLite ≥ 3.15.)
    """
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    from qinqing.core.models import OutboxEvent

    q = connection.ops.quote_name
    table = q(OutboxEvent._meta.db_table)
    return RawSQL(f"({table}.{q('txid')}, {table}.{q('seq')}) > (%s, %s)", (txid, seq),  # noqa: S611 - our names
                  output_field=BooleanField())


def read_after(txid: int, seq: int, *, limit: int, names: Sequence[str] | None = None) -> list[Stored]:
    """Committed events after a cursor position, in order; unknown event names are skipped."""
    from qinqing.core.models import OutboxEvent

    columns = ("seq", "txid", "name", "payload", "enterprise", "region", "occurred_at")
    if connection.vendor == "postgresql":
        # The next `limit` events by position (an index range from the cursor), then only those of transactions
        # below every transaction still running that may write here: a cursor never passes an event whose
        # transaction commits later (ids are taken at INSERT, not COMMIT). The events are in `txid` order, so
        # the ones kept are a prefix. Filtering first instead let the planner choose a bitmap of every event
        # after the cursor and a sort (its estimate of the horizon is a guess): a cost growing with the backlog.
        q = connection.ops.quote_name
        names_sql = ", ".join(q(c) for c in columns)
        sql = (f"SELECT {names_sql} FROM (SELECT {names_sql} FROM {q(OutboxEvent._meta.db_table)} "  # noqa: S608
               f"WHERE ({q('txid')}, {q('seq')}) > (%s, %s) ORDER BY {q('txid')}, {q('seq')} LIMIT %s) AS next "
               f"WHERE {q('txid')} < {_HORIZON} ORDER BY {q('txid')}, {q('seq')}")
        with connection.cursor() as cursor:
            cursor.execute(sql, [txid, seq, limit])
            # jsonb arrives as text (Django's loader); decoded here, as the model field would.
            rows: list[tuple[Any, ...]] = [(*row[:3], json.loads(row[3]), *row[4:]) for row in cursor.fetchall()]
    else:
        rows = list(OutboxEvent.objects.filter(_after(txid, seq)).order_by("txid", "seq")
                    .values_list(*columns)[:limit])
    out: list[Stored] = []
    # Tuples, not model instances: a consumer reads thousands of rows per batch.
    for seq, row_txid, name, payload, enterprise, region, occurred_at in rows:
        cls = EVENT_TYPES.get(name)
        if cls is None or (names is not None and name not in names):
            out.append(Stored(seq, row_txid, occurred_at, _Skipped(enterprise=enterprise)))
            continue
        out.append(Stored(seq, row_txid, occurred_at, cls.from_row(payload, enterprise=enterprise, region=region)))
    return out


@dataclass(frozen=True, kw_only=True)
class _Skipped(DomainEvent):
    """An outbox row the consumer does not handle; it still moves the cursor."""

    NAME = ""


class CrashForTest(Exception):
    """Raised by a test hook between a batch's effects and its cursor update."""


def consume(name: str, *, batches: int = 100, crash_after_apply: Callable[[], None] | None = None) -> int:
    """Apply the next batches of events to one consumer; return how many events it applied.

    Each batch is one transaction: lock the cursor, read the events after it, apply the ones the
    consumer handles, move the cursor. A crash anywhere before the commit leaves both untouched.
    """
    from qinqing.core.models import OutboxCursor

    consumer = flows().consumer(name)
    names = [cls.NAME for cls in consumer.handles]
    applied = 0
    for _ in range(batches):
        with transaction.atomic():
            # Write first: the UPDATE takes the row lock on PostgreSQL and the write lock on SQLite,
            # so two workers running the same consumer take turns instead of applying a batch twice.
            if not OutboxCursor.objects.filter(consumer=name).update(updated_at=timezone.now()):
                OutboxCursor.objects.get_or_create(consumer=name)
            cursor = OutboxCursor.objects.select_for_update().get(consumer=name)
            batch = read_after(cursor.txid, cursor.seq, limit=consumer.batch_size, names=names)
            if not batch:
                return applied
            handled = [s for s in batch if not isinstance(s.event, _Skipped)]
            if handled:
                consumer.apply(handled)
            if crash_after_apply is not None:
                crash_after_apply()
            last = batch[-1]
            cursor.txid, cursor.seq = last.txid, last.seq
            cursor.applied += len(handled)
            cursor.save(update_fields=["txid", "seq", "applied", "updated_at"])
            applied += len(handled)
    return applied


def start_at_head(name: str) -> None:
    """Place a consumer's cursor after the newest event: it will see only what happens from now on."""
    from qinqing.core.models import OutboxCursor, OutboxEvent

    head = OutboxEvent.objects.order_by("-txid", "-seq").values_list("txid", "seq").first() or (0, 0)
    OutboxCursor.objects.update_or_create(consumer=name, defaults={"txid": head[0], "seq": head[1]})


def consume_all() -> dict[str, int]:
    """Run every consumer until it has caught up; return events applied per consumer."""
    return {consumer.name: consume(consumer.name) for consumer in flows().consumers}


def lag() -> dict[str, int]:
    """Events in the outbox each consumer has not yet passed (for the admin and `qinqing check`)."""
    from qinqing.core.models import OutboxCursor, OutboxEvent

    out: dict[str, int] = {}
    for consumer in flows().consumers:
        cursor = OutboxCursor.objects.filter(consumer=consumer.name).first()
        txid, seq = (cursor.txid, cursor.seq) if cursor else (0, 0)
        out[consumer.name] = OutboxEvent.objects.filter(_after(txid, seq)).count()
    return out
