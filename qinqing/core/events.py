"""Domain events: typed, versioned, written to an outbox in the transaction that caused them.

A service runs its work inside `events.atomic()` and calls `emit(SomethingHappened(...))`.
Each event is written to the append-only outbox (`core.OutboxEvent`) in that same transaction,
so an event exists exactly when the change it reports was committed.

Two kinds of reaction, both listed in one registry module (`settings.QINQING_EVENT_FLOWS`,
`qinqing/flows.py`), so that a reader sees every flow of the platform on one page:

- **subscribers** must be atomic with the change (unlocking the next 一件事 step). They run at
  the end of the outermost `atomic()` block, before commit, in a loop that drains the queue
  until it is empty. A subscriber may emit further events; the loop is bounded.
- **consumers** are everything slow or optional (aggregates, notifications, matching). They read
  the outbox after commit by a stored cursor (`core.OutboxCursor`), through the task queue.
  A batch's effects and the cursor's move commit together, so each event's effect is applied
  exactly once even when a consumer dies mid-batch.

Lower apps emit, higher apps react: the registry is the only place that names both.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import json
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypedDict, TypeVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# A cascade of events that has not settled after this many is a loop between subscribers.
MAX_EVENTS_PER_TRANSACTION = 10_000


class Subject(TypedDict):
    """Whom an event concerns: an enterprise's USCC and its region code (either may be empty)."""

    enterprise: str
    region: str


# ---- the events --------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened. Subclasses declare NAME and VERSION and only JSON-friendly fields.

    `enterprise` (USCC) and `region` (region code) say whom it concerns; both may be empty.
    """

    NAME: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    enterprise: str = ""
    region: str = ""

    def payload(self) -> dict[str, Any]:
        """The event's own fields (without enterprise and region, which have columns)."""
        out: dict[str, Any] = {}
        for f in _fields(type(self)):
            value = getattr(self, f)
            out[f] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_row(cls, payload: dict[str, Any], *, enterprise: str, region: str) -> DomainEvent:
        """Rebuild an event from its outbox row."""
        names = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in payload.items():
            if key not in names:
                continue  # a field a later version dropped
            values[key] = tuple(value) if isinstance(value, list) else value
        return cls(enterprise=enterprise, region=region, **values)


@dataclass(frozen=True, kw_only=True)
class CaseSubmitted(DomainEvent):
    """An application reached a department: submitted by the enterprise, or a 一件事 step started."""

    NAME = "case.submitted"
    case_id: int
    number: str
    matter: str
    bundle: str = ""
    parent_id: int | None = None
    acting_for: str = ""


@dataclass(frozen=True, kw_only=True)
class CaseDecided(DomainEvent):
    """A case was approved or rejected, by its rules (`automatic`) or by a reviewer."""

    NAME = "case.decided"
    case_id: int
    number: str
    matter: str
    outcome: str  # "approved" | "rejected"
    automatic: bool = False
    parent_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CaseClosed(DomainEvent):
    """A case reached a closed status (approved, rejected, withdrawn, cancelled, completed, closed)."""

    NAME = "case.closed"
    case_id: int
    status: str
    parent_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class LicenceIssued(DomainEvent):
    """An e-licence was issued; `issued_at` ISO date-time, `valid_until` ISO date or empty."""

    NAME = "licence.issued"
    licence_id: int
    number: str
    matter: str
    title: str
    case_id: int
    issued_at: str
    valid_until: str = ""


@dataclass(frozen=True, kw_only=True)
class LicenceRevoked(DomainEvent):
    """An e-licence was revoked; verification reports it revoked from now on."""

    NAME = "licence.revoked"
    licence_id: int
    number: str
    matter: str
    title: str
    issued_at: str
    valid_until: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class EnterpriseRegistered(DomainEvent):
    """An enterprise got its account on the platform."""

    NAME = "enterprise.registered"
    name: str


@dataclass(frozen=True, kw_only=True)
class EnterpriseFactsChanged(DomainEvent):
    """Government data about one enterprise changed: which sources, which `source.field`s."""

    NAME = "enterprise.facts_changed"
    sources: tuple[str, ...]
    fields: tuple[str, ...]
    created: bool = False  # the enterprise had no record in these sources before


@dataclass(frozen=True, kw_only=True)
class AuthorisationGranted(DomainEvent):
    """An enterprise authorised a government agent (代办员) to act for it."""

    NAME = "authorisation.granted"
    authorisation_id: int
    agent: str
    scope: str
    expires_at: str


@dataclass(frozen=True, kw_only=True)
class AuthorisationRevoked(DomainEvent):
    """An enterprise withdrew an agent's authorisation."""

    NAME = "authorisation.revoked"
    authorisation_id: int
    agent: str


@dataclass(frozen=True, kw_only=True)
class EmployeesEnrolled(DomainEvent):
    """A roster's employees were enrolled in social insurance (职工参保登记/增员), all at once."""

    NAME = "employees.enrolled"
    case_id: int
    roster_id: int
    count: int
    sha256: str


_FIELD_NAMES: dict[type[DomainEvent], tuple[str, ...]] = {}


def _fields(cls: type[DomainEvent]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in ("enterprise", "region"))
        _FIELD_NAMES[cls] = names
    return names


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.NAME: cls for cls in (
        CaseSubmitted, CaseDecided, CaseClosed, LicenceIssued, LicenceRevoked, EnterpriseRegistered,
        EnterpriseFactsChanged, AuthorisationGranted, AuthorisationRevoked, EmployeesEnrolled,
    )
}

E = TypeVar("E", bound=DomainEvent)


# ---- the registry ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    """An event read back from the outbox, with its place in it."""

    seq: int
    txid: int
    occurred_at: dt.datetime
    event: DomainEvent


class ConsumerApply(Protocol):
    def __call__(self, batch: Sequence[Stored], /) -> None: ...


@dataclass(frozen=True)
class Consumer:
    """An asynchronous reader of the outbox: `apply` gets batches of the events it `handles`.

    `apply` runs inside the transaction that also moves the consumer's cursor, so it must keep
    its effects in the database (or hand them on through rows written there).
    """

    name: str
    handles: frozenset[type[DomainEvent]]
    apply: ConsumerApply
    batch_size: int = 500


@dataclass(frozen=True)
class Flows:
    """Every reaction to every event: synchronous subscribers and asynchronous consumers."""

    subscribers: dict[type[DomainEvent], tuple[Callable[[Any], None], ...]] = field(default_factory=dict)
    consumers: tuple[Consumer, ...] = ()

    def subscribers_of(self, event: DomainEvent) -> tuple[Callable[[Any], None], ...]:
        return self.subscribers.get(type(event), ())

    def consumer(self, name: str) -> Consumer:
        for consumer in self.consumers:
            if consumer.name == name:
                return consumer
        raise LookupError(f"no outbox consumer named {name!r}")


_flows: Flows | None = None


def flows() -> Flows:
    """The platform's flows, from the registry module named in settings (loaded once)."""
    global _flows
    if _flows is None:
        loaded = import_string(f"{settings.QINQING_EVENT_FLOWS}.FLOWS")
        if not isinstance(loaded, Flows):
            raise TypeError(f"{settings.QINQING_EVENT_FLOWS}.FLOWS is not a Flows")
        _flows = loaded
    return _flows


@contextlib.contextmanager
def flows_replaced(replacement: Flows) -> Iterator[None]:
    """Run with other flows (tests of the mechanism itself)."""
    global _flows
    before = _flows
    _flows = replacement
    try:
        yield
    finally:
        _flows = before


# ---- the unit of work --------------------------------------------------------------------------

class _UnitOfWork:
    """What the outermost service transaction collects: events to dispatch, buffers to flush."""

    def __init__(self) -> None:
        self.queue: deque[DomainEvent] = deque()
        self.outbox: list[tuple[DomainEvent, dt.datetime]] = []
        self.buffers: dict[str, list[Any]] = {}
        self.flushers: dict[str, Callable[[list[Any]], None]] = {}

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
        if self.outbox:
            _write_outbox(self.outbox)
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
            if unit.outbox:
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


def _write_outbox(rows: list[tuple[DomainEvent, dt.datetime]]) -> None:
    """INSERT the rows with one `executemany`: a bulk import's 100,000 events cost no model instances."""
    from qinqing.core.models import OutboxEvent

    txid = _transaction_id()
    table = connection.ops.quote_name(OutboxEvent._meta.db_table)
    as_json = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    sql = (f"INSERT INTO {table} (txid, name, version, payload, enterprise, region, occurred_at) "  # noqa: S608
           f"VALUES (%s, %s, %s, {as_json}, %s, %s, %s)")
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        (txid, e.NAME, e.VERSION, json.dumps(e.payload(), ensure_ascii=False, cls=DjangoJSONEncoder),
         e.enterprise, e.region, adapt(at))
        for e, at in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), 5000):
            cursor.executemany(sql, params[start:start + 5000])


def _transaction_id() -> int:
    """The writing transaction's id on PostgreSQL; 0 on SQLite, where one writer at a time makes `seq` commit order."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        row = cursor.fetchone()
    return int(row[0])


# ---- asynchronous consumers --------------------------------------------------------------------

def _kick_consumers() -> None:
    """After a commit that emitted events, ask the task queue to run the consumers."""
    if not flows().consumers:
        return
    try:
        from qinqing.core.tasks import kick

        kick()
    except Exception:  # the periodic sweep catches up; a commit never fails for this
        log.exception("could not enqueue the outbox consumers")


# Below the oldest transaction that other sessions still have running (no limit when none is): every
# transaction with a smaller id has finished. Evaluated inside the reading statement, on its snapshot.
_HORIZON = ("COALESCE((SELECT min(x)::text::bigint FROM pg_snapshot_xip(pg_current_snapshot()) AS x), "
            "9223372036854775807)")


def read_after(txid: int, seq: int, *, limit: int, names: Sequence[str] | None = None) -> list[Stored]:
    """Committed events after a cursor position, in order; unknown event names are skipped."""
    from django.db.models import Q
    from django.db.models.expressions import RawSQL

    from qinqing.core.models import OutboxEvent

    rows = OutboxEvent.objects.filter(Q(txid__gt=txid) | Q(txid=txid, seq__gt=seq))
    if connection.vendor == "postgresql":
        # Only events of transactions below every transaction still running elsewhere: a cursor
        # never passes an event whose transaction commits later (ids are taken at INSERT, not COMMIT).
        rows = rows.filter(txid__lt=RawSQL(_HORIZON, []))  # noqa: S611 - a constant, no parameters
    out: list[Stored] = []
    for row in rows.order_by("txid", "seq")[:limit]:
        cls = EVENT_TYPES.get(row.name)
        if cls is None or (names is not None and row.name not in names):
            out.append(Stored(row.seq, row.txid, row.occurred_at, _Skipped(enterprise=row.enterprise)))
            continue
        out.append(Stored(row.seq, row.txid, row.occurred_at,
                          cls.from_row(row.payload, enterprise=row.enterprise, region=row.region)))
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
    from django.db.models import Q

    from qinqing.core.models import OutboxCursor, OutboxEvent

    out: dict[str, int] = {}
    for consumer in flows().consumers:
        cursor = OutboxCursor.objects.filter(consumer=consumer.name).first()
        txid, seq = (cursor.txid, cursor.seq) if cursor else (0, 0)
        out[consumer.name] = OutboxEvent.objects.filter(Q(txid__gt=txid) | Q(txid=txid, seq__gt=seq)).count()
    return out
