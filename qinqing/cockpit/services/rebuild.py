"""`qinqing rebuildcockpit`: every read model computed again from the source tables, in one transaction.

- each enterprise's state: from the registry, social-insurance, annual and abnormal-operations records
  (`observe`, the reading the consumer uses), for every enterprise of the registry and every account;
- the present (`NodeTotal`): from those states, the open alerts and the open visits;
- what happened on each day (`DailyAggregate`): registrations, moves and status changes from the
  journal of observed changes (the registry keeps only the current record, so the journal is where a
  past move is remembered), payouts from the paid payouts, cases from the cases, alerts from the alerts,
  visits from their events in the outbox.

A flow is counted where the enterprise was when it happened (the journal's location at that moment),
as the consumer counted it. The consumer's cursor is locked and caught up first, so no event is half
in the old figures and half in the new ones.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Subquery
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.audit.services import record_event
from qinqing.cases.models import Case
from qinqing.cockpit.aggregates import (
    ALERTS,
    ALERTS_OPEN,
    CASES_AUTO,
    CASES_DECIDED,
    CASES_SUBMITTED,
    MOVED_IN,
    MOVED_OUT,
    PAYOUTS,
    REGISTERED,
    TAX,
    Deltas,
    append_rows,
    stock_keys,
    tax_fen,
    to_fen,
)
from qinqing.cockpit.models import (
    Alert,
    CountedItem,
    DailyAggregate,
    EnterpriseChange,
    EnterpriseState,
    NodeTotal,
)
from qinqing.cockpit.observe import Observed, Regions, observe, observe_all
from qinqing.cockpit.services import counting, ingest
from qinqing.core import events
from qinqing.core.events import EVENT_TYPES, Stored
from qinqing.core.lookups import among
from qinqing.core.models import OutboxCursor, OutboxEvent
from qinqing.datahub.models import RegistryRecord
from qinqing.policies.models import Payout

CHUNK = 5_000
NOT_STARTED = ("waiting", "preparing", "cancelled")


def _usccs() -> Iterator[list[str]]:
    """Every enterprise the cockpit covers, in chunks: the registry's, then accounts the registry lacks."""
    registry = RegistryRecord.objects.order_by("uscc").values_list("uscc", flat=True)
    accounts = (Enterprise.objects.exclude(uscc__in=Subquery(RegistryRecord.objects.values("uscc")))
                .order_by("uscc").values_list("uscc", flat=True))
    for rows in (registry, accounts):
        chunk: list[str] = []
        for uscc in rows.iterator(chunk_size=CHUNK):
            chunk.append(uscc)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


class Locations:
    """Where each enterprise was at a moment, from the journal (first sighting and moves)."""

    def __init__(self, usccs: Sequence[str]) -> None:
        self.history: dict[str, tuple[list[dt.datetime], list[str]]] = {}
        for start in range(0, len(usccs), CHUNK):
            rows = (EnterpriseChange.objects.filter(
                uscc__in=usccs[start:start + CHUNK], kind__in=[EnterpriseChange.Kind.SEEN, EnterpriseChange.Kind.MOVED])
                .order_by("uscc", "at", "id").values_list("uscc", "at", "to_path"))
            for uscc, at, path in rows:
                times, paths = self.history.setdefault(uscc, ([], []))
                times.append(at)
                paths.append(path)

    def at(self, uscc: str, moment: dt.datetime) -> str | None:
        found = self.history.get(uscc)
        if found is None:
            return None
        times, paths = found
        index = bisect.bisect_right(times, moment) - 1
        return paths[max(index, 0)]


def rebuild_cockpit(*, actor: Any = "rebuildcockpit", progress: Callable[[str, int], None] | None = None,
                    skip_backlog: bool = False) -> dict[str, int]:
    """Recompute every read model from scratch; return how many rows of each were written.

    The consumer is caught up first; with `skip_backlog` its cursor is placed after the newest event
    instead (the figures then come from the tables as they are, and moves the backlog reported but the
    consumer never saw are not in the journal).
    """
    say = progress or (lambda stage, n: None)
    with events.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as db:  # index probes of a few thousand keys each: no parallel workers
                db.execute("SET LOCAL max_parallel_workers_per_gather TO 0")
        cursor, _ = OutboxCursor.objects.get_or_create(consumer=ingest.CONSUMER)
        OutboxCursor.objects.select_for_update().get(pk=cursor.pk)
        if skip_backlog:
            events.start_at_head(ingest.CONSUMER)
        else:
            events.consume(ingest.CONSUMER, batches=1_000_000)  # caught up, inside this transaction
        cursor = OutboxCursor.objects.get(pk=cursor.pk)
        counts = _rebuild(cursor.txid, cursor.seq, say)
        record_event(actor=actor, action="cockpit.rebuilt", obj=cursor, after=counts)
    return counts


def _rebuild(txid: int, seq: int, say: Callable[[str, int], None]) -> dict[str, int]:
    regions = Regions()
    deltas = Deltas()
    for model in (DailyAggregate, NodeTotal, CountedItem, EnterpriseState):
        model.objects.all().delete()
    now = timezone.now()
    states = _states(regions, deltas, txid, seq, now, say)
    _journal_flows(deltas)
    say("journal", 0)
    _payouts(deltas)
    _cases(deltas)
    _alerts(deltas)
    deltas.write()
    _visits()
    return {"states": states, "daily": DailyAggregate.objects.count(), "totals": NodeTotal.objects.count(),
            "counted": CountedItem.objects.count()}


def _states(regions: Regions, deltas: Deltas, txid: int, seq: int, now: dt.datetime,
            say: Callable[[str, int], None]) -> int:
    written = 0
    for chunk, seen in _observed(regions):
        first = dict(among(EnterpriseChange.objects.filter(kind=EnterpriseChange.Kind.SEEN), "uscc", chunk)
                     .order_by("uscc", "-at").values_list("uscc", "at"))
        rows: list[tuple[Any, ...]] = []
        journal: list[EnterpriseChange] = []
        stock: Counter[tuple[str, str, str, str, str, tuple[str, ...]]] = Counter()
        taxed: dict[str, list[int]] = {}
        for uscc in chunk:
            o = seen.get(uscc)
            if o is None:
                continue
            at = first.get(uscc)
            if at is None:
                # Never seen by the consumer: seen now, registered on its establishment date.
                at = now
                journal.append(EnterpriseChange(
                    uscc=uscc, kind=EnterpriseChange.Kind.SEEN, at=now, day=o.established_on or timezone.localdate(now),
                    to_path=o.path, to_value=o.status, txid=txid, seq=seq))
            row = {"uscc": uscc, "first_seen_at": at, "updated_at": now, "last_txid": txid, "last_seq": seq,
                   **o.state_fields()}
            rows.append(tuple(row[c] for c in counting.STATE_COLUMNS))
            stock[(o.path, o.status, o.industry, o.size, o.capital_band, o.tags)] += 1
            fen = tax_fen(o.status, o.tax_paid)
            if fen is not None and o.path:
                summed = taxed.setdefault(o.path, [0, 0])
                summed[0] += 1
                summed[1] += fen
        append_rows(EnterpriseState, counting.STATE_COLUMNS, rows)
        append_rows(EnterpriseChange, counting.CHANGE_COLUMNS,
                    [tuple(getattr(c, n) for n in counting.CHANGE_COLUMNS) for c in journal])
        for (path, status, industry, size, band, tags), n in stock.items():
            deltas.total(path, stock_keys(status, industry, size, band, tags), n)
        for path, (n, fen) in taxed.items():
            deltas.amount(path, TAX, count=n, fen=fen)
        written += len(rows)
        say("states", written)
    return written


def _observed(regions: Regions) -> Iterator[tuple[list[str], dict[str, Observed]]]:
    """Every enterprise the cockpit covers, classified, in chunks: on PostgreSQL by one streamed scan of the
    sources (`observe_all`), elsewhere by `observe` over chunks of codes (the consumer's reading)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as db:  # the scan's sorts and merges in memory rather than in temporary files
            db.execute("SET LOCAL work_mem TO '256MB'")
        for found in observe_all(regions=regions, chunk=CHUNK):
            yield [o.uscc for o in found], {o.uscc: o for o in found}
        return
    for chunk in _usccs():
        yield chunk, observe(chunk, regions=regions)


def _journal_flows(deltas: Deltas) -> None:
    """Registrations, moves and status changes from the journal, grouped in the database."""
    for path, day, n in (EnterpriseChange.objects.filter(kind=EnterpriseChange.Kind.SEEN)
                         .values_list("to_path", "day").annotate(n=Count("id")).order_by()):
        deltas.flow_path(path, REGISTERED, day, count=n)
    for old, new, day, n in (EnterpriseChange.objects.filter(kind=EnterpriseChange.Kind.MOVED)
                             .values_list("from_path", "to_path", "day").annotate(n=Count("id")).order_by()):
        left, entered = counting.move_nodes(old, new)
        deltas.flow(left, MOVED_OUT, day, count=n)
        deltas.flow(entered, MOVED_IN, day, count=n)
    for before, after, path, day, n in (EnterpriseChange.objects.filter(kind=EnterpriseChange.Kind.STATUS)
                                        .values_list("from_value", "to_value", "to_path", "day")
                                        .annotate(n=Count("id")).order_by()):
        for measure in counting.status_flows(before, after):
            deltas.flow_path(path, measure, day, count=n)


def _located(rows: Sequence[Any], moment: str) -> Iterator[tuple[Any, str]]:
    where = Locations(sorted({r["uscc"] for r in rows}))
    for row in rows:
        path = where.at(row["uscc"], row[moment])
        if path is not None:
            yield row, path


def _payouts(deltas: Deltas) -> None:
    items = []
    paid = list(Payout.objects.filter(status="paid").values(
        "pk", "amount", "paid_at", "created_at", uscc=_f("entitlement__enterprise__uscc"),
        policy=_f("entitlement__policy__code")))
    for row, path in _located(paid, "paid_at"):
        day, fen = timezone.localdate(row["paid_at"]), to_fen(row["amount"])
        deltas.flow_path(path, PAYOUTS, day, fen=fen)
        deltas.flow_path(path, PAYOUTS, day, fen=fen, dimension=row["policy"])
        items.append(CountedItem(kind=counting.PAYOUT, item_id=row["pk"], path=path, day=day, dimension=row["policy"],
                                 amount_fen=fen))
    failed = list(Payout.objects.filter(status="failed").values(
        "pk", "created_at", uscc=_f("entitlement__enterprise__uscc")))
    for row, path in _located(failed, "created_at"):
        items.append(CountedItem(kind=counting.PAYOUT_FAILED, item_id=row["pk"], path=path,
                                 day=timezone.localdate(row["created_at"])))
    CountedItem.objects.bulk_create(items, batch_size=2_000)


def _f(name: str) -> Any:
    from django.db.models import F

    return F(name)


def _cases(deltas: Deltas) -> None:
    items = []
    submitted = list(Case.objects.filter(matter__isnull=False).exclude(status__in=NOT_STARTED)
                     .values("pk", "submitted_at", uscc=_f("enterprise__uscc")))
    for row, path in _located(submitted, "submitted_at"):
        day = timezone.localdate(row["submitted_at"])
        deltas.flow_path(path, CASES_SUBMITTED, day)
        items.append(CountedItem(kind=counting.CASE_SUBMITTED, item_id=row["pk"], path=path, day=day))
    decided = list(Case.objects.filter(matter__isnull=False, decided_at__isnull=False, status__in=counting.DECIDED)
                   .values("pk", "decided_at", "decided_automatically", uscc=_f("enterprise__uscc")))
    for row, path in _located(decided, "decided_at"):
        day = timezone.localdate(row["decided_at"])
        deltas.flow_path(path, CASES_DECIDED, day)
        if row["decided_automatically"]:
            deltas.flow_path(path, CASES_AUTO, day)
        items.append(CountedItem(kind=counting.CASE_DECIDED, item_id=row["pk"], path=path, day=day,
                                 dimension="auto" if row["decided_automatically"] else ""))
    CountedItem.objects.bulk_create(items, batch_size=2_000)


def _alerts(deltas: Deltas) -> None:
    for path, day, n in Alert.objects.values_list("path", "day").annotate(n=Count("id")).order_by():
        deltas.flow_path(path, ALERTS, day, count=n)
    for path, n in (Alert.objects.filter(acknowledged_at__isnull=True).values_list("path")
                    .annotate(n=Count("id")).order_by()):
        deltas.total(path, [(ALERTS_OPEN, "")], n)


def _visits() -> None:
    """Visits from their events in the outbox, replayed through the consumer's own visit rules."""
    names = [name for name in counting.VISIT_EVENTS if name in EVENT_TYPES]
    if not names:
        return
    rows = OutboxEvent.objects.filter(name__in=names).order_by("txid", "seq")
    batch: list[Stored] = []
    for row in rows.iterator(chunk_size=CHUNK):
        event = EVENT_TYPES[row.name].from_row(row.payload, enterprise=row.enterprise, region=row.region)
        batch.append(Stored(row.seq, row.txid, row.occurred_at, event))
        if len(batch) >= CHUNK:
            _replay(batch)
            batch = []
    if batch:
        _replay(batch)


def _replay(batch: list[Stored]) -> None:
    with transaction.atomic():
        ingest.Ingest(batch, replaying=True).run()

